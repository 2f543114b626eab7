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

export async function issueAccessToken(env: Env, input: IssueInput): Promise<{ token: string; expiresIn: number; jti: string }> {
  const cfg = config(env).jwt;
  const { kid, key } = await currentSigner(env);
  const jti = crypto.randomUUID();
  const token = await new SignJWT({
    creator_id: input.creatorId,
    tenant_id: input.creatorId,
    permissions: ROLE_PERMISSIONS[input.role],
    subscription_tier: input.subscriptionTier,
    role: input.role,
    sid: input.sessionId,
    token_use: "access",
  })
    .setProtectedHeader({ alg: JWT_ALG, kid, typ: "JWT" })
    .setSubject(input.memberId)
    .setIssuer(cfg.issuer)
    .setAudience(cfg.audience)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime(`${cfg.accessTtlSeconds}s`)
    .sign(key);
  return { token, expiresIn: cfg.accessTtlSeconds, jti };
}

/**
 * Verifies signature (ES256 only: `alg: none` and HS256-with-the-public-key are refused before any
 * key is touched), kid, iss, aud and exp (with leeway). Revocation is checked by the caller (D1).
 */
export async function verifyAccessToken(env: Env, token: string, opts: { allowExpired?: boolean } = {}): Promise<AccessClaims> {
  const cfg = config(env).jwt;
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== JWT_ALG) throw unauthenticated("Invalid access token");
    kid = header.kid;
  } catch {
    throw unauthenticated("Invalid access token");
  }
  if (!kid) throw unauthenticated("Invalid access token");
  const key = await verifierFor(env, kid);
  if (!key) throw unauthenticated("Invalid access token");
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [JWT_ALG],
      issuer: cfg.issuer,
      audience: cfg.audience,
      clockTolerance: opts.allowExpired ? 10 * 365 * 24 * 3600 : cfg.leewaySeconds,
      requiredClaims: ["sub", "jti", "exp", "iat"],
    });
    const claims = payload as unknown as AccessClaims;
    if (claims.token_use !== "access" || typeof claims.creator_id !== "string" || typeof claims.sid !== "string") {
      throw unauthenticated("Invalid access token");
    }
    return claims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated("Access token expired");
    throw unauthenticated("Invalid access token");
  }
}
