// Access tokens: ES256 JWTs with kid and the spec's claims (+ jti, sid); a pinned-algorithm verifier.
import { decodeProtectedHeader, jwtVerify, SignJWT, errors as joseErrors } from "jose";
import type { Env } from "../../env";
import { config } from "../../config";
import { unauthenticated } from "../../lib/errors";
import { currentSigner, JWT_ALG, verifierFor } from "./keys";

export type Role = "owner" | "admin" | "agent";
export type Permission = "read" | "write" | "admin" | "conversations";

/** What each role may do. The role is re-read from D1 on every request, so a change applies at once. */
export const ROLE_PERMISSIONS: Record<Role, Permission[]> = {
  owner: ["read", "write", "admin", "conversations"],
  admin: ["read", "write", "admin", "conversations"],
  agent: ["read", "conversations"],
};

export interface AccessClaims {
  sub: string;
  creator_id: string;
  tenant_id: string;
  permissions: Permission[];
  subscription_tier: string;
  role: Role;
  sid: string;
  jti: string;
  token_use: "access";
  aud: string;
  iss: string;
  exp: number;
  iat: number;
}

export interface IssueInput {
  memberId: string;
  creatorId: string;
  role: Role;
  subscriptionTier: string;
  sessionId: string;
}

/** What every platform token shares: ES256 with the current kid, our issuer, jti, iat and exp. */
export async function signPlatformToken(
  env: Env,
  input: { claims: Record<string, unknown>; subject: string; audience: string; ttlSeconds: number },
): Promise<{ token: string; jti: string }> {
  const { kid, key } = await currentSigner(env);
  const jti = crypto.randomUUID();
  const token = await new SignJWT(input.claims)
    .setProtectedHeader({ alg: JWT_ALG, kid, typ: "JWT" })
    .setSubject(input.subject)
    .setIssuer(config(env).jwt.issuer)
    .setAudience(input.audience)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime(`${input.ttlSeconds}s`)
    .sign(key);
  return { token, jti };
}

/**
 * Verifies a platform token: signature (ES256 only: `alg: none` and HS256-with-the-public-key are
 * refused before any key is touched), kid, iss, the given audience, exp (with leeway) and token_use.
 * Every failure is 401 with `label` in the message ("access token", "widget token").
 */
export async function verifyPlatformToken<T extends { token_use: string }>(
  env: Env,
  token: string,
  opts: { audience: string; tokenUse: T["token_use"]; label: string; requiredClaims: string[]; check: (claims: T) => boolean; allowExpired?: boolean },
): Promise<T> {
  const cfg = config(env).jwt;
  const invalidToken = () => unauthenticated(`Invalid ${opts.label}`);
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    kid = header.alg === JWT_ALG ? header.kid : undefined;
  } catch {
    throw invalidToken();
  }
  const key = kid ? await verifierFor(env, kid) : null;
  if (!key) throw invalidToken();
  let claims: T;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [JWT_ALG],
      issuer: cfg.issuer,
      audience: opts.audience,
      clockTolerance: opts.allowExpired ? 10 * 365 * 24 * 3600 : cfg.leewaySeconds,
      requiredClaims: opts.requiredClaims,
    });
    claims = payload as unknown as T;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated(`${opts.label[0]!.toUpperCase()}${opts.label.slice(1)} expired`);
    throw invalidToken();
  }
  if (claims.token_use !== opts.tokenUse || !opts.check(claims)) throw invalidToken();
  return claims;
}

export async function issueAccessToken(env: Env, input: IssueInput): Promise<{ token: string; expiresIn: number; jti: string }> {
  const cfg = config(env).jwt;
  const { token, jti } = await signPlatformToken(env, {
    claims: {
      creator_id: input.creatorId,
      tenant_id: input.creatorId,
      permissions: ROLE_PERMISSIONS[input.role],
      subscription_tier: input.subscriptionTier,
      role: input.role,
      sid: input.sessionId,
      token_use: "access",
    },
    subject: input.memberId,
    audience: cfg.audience,
    ttlSeconds: cfg.accessTtlSeconds,
  });
  return { token, expiresIn: cfg.accessTtlSeconds, jti };
}

/** An access token's claims; revocation is checked by the caller (one D1 read per request). */
export function verifyAccessToken(env: Env, token: string, opts: { allowExpired?: boolean } = {}): Promise<AccessClaims> {
  return verifyPlatformToken<AccessClaims>(env, token, {
    audience: config(env).jwt.audience,
    tokenUse: "access",
    label: "access token",
    requiredClaims: ["sub", "jti", "exp", "iat"],
    check: (c) => typeof c.creator_id === "string" && typeof c.sid === "string",
    allowExpired: opts.allowExpired,
  });
}
