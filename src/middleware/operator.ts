// Operator routes (platform operations: signing-key rotation, plans, /metrics) are authorized by the
// OPERATOR_API_KEY secret presented as a bearer token — never by a creator token, whatever its role.
// Unset, every operator route answers 403 to everybody.
import { createMiddleware } from "hono/factory";
import type { AppBindings, Env } from "../env";
import { timingSafeEqual } from "../lib/crypto";
import { forbidden } from "../lib/errors";

const enc = new TextEncoder();

/** True when the request's bearer credential is the operator key (constant-time comparison). */
export async function isOperator(env: Env, authorization: string | undefined): Promise<boolean> {
  const key = env.OPERATOR_API_KEY;
  if (!key || !authorization) return false;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) return false;
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const [given, expected] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(match[1]!)),
    crypto.subtle.digest("SHA-256", enc.encode(key)),
  ]);
  return timingSafeEqual(new Uint8Array(given), new Uint8Array(expected));
}

export const requireOperator = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    if (!(await isOperator(c.env, c.req.header("Authorization")))) {
      throw forbidden("This is a platform operation: it needs the operator credential");
    }
    await next();
  });
