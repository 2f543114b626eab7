// Widget tokens: short-lived ES256 JWTs for one visitor in one conversation. Signed with the platform
// keys like access tokens, but with token_use "widget" and their own audience, so neither kind of
// token is ever accepted in place of the other.
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { config } from "../../config";
import type { Env } from "../../env";
import { unauthenticated } from "../../lib/errors";
import { currentSigner, JWT_ALG, verifierFor } from "../auth/keys";

export interface WidgetClaims {
  /** The end user (visitor) id. */
  sub: string;
  creator_id: string;
  conversation_id: string;
  /** The widget session id. */
  sid: string;
  token_use: "widget";
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  jti: string;
}

export const widgetAudience = (env: Env) => `${config(env).jwt.audience}:widget`;

export async function issueWidgetToken(
  env: Env,
  input: { creatorId: string; endUserId: string; conversationId: string; sessionId: string },
): Promise<{ token: string; expiresIn: number }> {
  const cfg = config(env);
  const ttl = cfg.realtime.widgetTokenTtlSeconds;
  const { kid, key } = await currentSigner(env);
  const token = await new SignJWT({
    creator_id: input.creatorId,
    conversation_id: input.conversationId,
    sid: input.sessionId,
    token_use: "widget",
  })
    .setProtectedHeader({ alg: JWT_ALG, kid, typ: "JWT" })
    .setSubject(input.endUserId)
    .setIssuer(cfg.jwt.issuer)
    .setAudience(widgetAudience(env))
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(key);
  return { token, expiresIn: ttl };
}

/** Signature (ES256 only), kid, issuer, the widget audience, expiry and token_use. */
export async function verifyWidgetToken(env: Env, token: string): Promise<WidgetClaims> {
  const cfg = config(env).jwt;
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== JWT_ALG) throw new Error("alg");
    kid = header.kid;
  } catch {
    throw unauthenticated("Invalid widget token");
  }
  const key = kid ? await verifierFor(env, kid) : null;
  if (!key) throw unauthenticated("Invalid widget token");
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [JWT_ALG],
      issuer: cfg.issuer,
      audience: widgetAudience(env),
      clockTolerance: cfg.leewaySeconds,
      requiredClaims: ["sub", "exp", "iat"],
    });
    const claims = payload as unknown as WidgetClaims;
    if (claims.token_use !== "widget" || typeof claims.creator_id !== "string" || typeof claims.conversation_id !== "string") {
      throw new Error("claims");
    }
    return claims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated("Widget token expired");
    throw unauthenticated("Invalid widget token");
  }
}
