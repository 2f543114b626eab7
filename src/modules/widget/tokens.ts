// Widget tokens: short-lived ES256 JWTs for one visitor in one conversation. Signed with the platform
// keys like access tokens, but with token_use "widget" and their own audience, so neither kind of
// token is ever accepted in place of the other.
import { config } from "../../config";
import type { Env } from "../../env";
import { signPlatformToken, verifyPlatformToken } from "../auth";

export interface WidgetClaims {
  /** The end user (visitor) id. */
  sub: string;
  creator_id: string;
  conversation_id: string;
  /** The widget session id. */
  sid: string;
  /** The creator's token epoch when issued (widget_configs.token_epoch); a key rotation revokes older ones. */
  kep?: number;
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
  input: { creatorId: string; endUserId: string; conversationId: string; sessionId: string; epoch: number },
): Promise<{ token: string; expiresIn: number }> {
  const ttl = config(env).realtime.widgetTokenTtlSeconds;
  const { token } = await signPlatformToken(env, {
    claims: { creator_id: input.creatorId, conversation_id: input.conversationId, sid: input.sessionId, kep: input.epoch, token_use: "widget" },
    subject: input.endUserId,
    audience: widgetAudience(env),
    ttlSeconds: ttl,
  });
  return { token, expiresIn: ttl };
}

/** Signature (ES256 only), kid, issuer, the widget audience, expiry and token_use (revocation: ./revocation.ts). */
export function verifyWidgetToken(env: Env, token: string): Promise<WidgetClaims> {
  return verifyPlatformToken<WidgetClaims>(env, token, {
    audience: widgetAudience(env),
    tokenUse: "widget",
    label: "widget token",
    requiredClaims: ["sub", "exp", "iat"],
    check: (c) => typeof c.creator_id === "string" && typeof c.conversation_id === "string",
  });
}
