// Channel secrets at rest: one AES-GCM ciphertext per channel holding every secret, plus masked
// hints for responses. Plaintext secrets exist only in memory while a request or job needs them.
import { decryptText, encryptText, sha256Hex, timingSafeEqual } from "../../lib/crypto";
import type { Env } from "../../env";

export interface TelegramSecrets {
  bot_token: string;
  /** Our random `secret_token` given to setWebhook; Telegram echoes it in a header. */
  webhook_secret: string;
}

export interface WhatsAppSecrets {
  access_token: string;
  app_secret: string;
  webhook_verify_token: string;
}

export type ChannelSecrets = Partial<TelegramSecrets & WhatsAppSecrets>;

/** The secret fields of each channel type, as named in the API. */
export const SECRET_FIELDS = {
  web: [] as string[],
  telegram: ["bot_token"],
  whatsapp: ["access_token", "app_secret", "webhook_verify_token"],
  email: [] as string[],
} as const;

export const sealSecrets = (env: Env, secrets: ChannelSecrets) => encryptText(env.ENCRYPTION_KEY, JSON.stringify(secrets));

export async function openSecrets(env: Env, sealed: string | null): Promise<ChannelSecrets> {
  if (!sealed) return {};
  return JSON.parse(await decryptText(env.ENCRYPTION_KEY, sealed)) as ChannelSecrets;
}

/** Enough to recognise which token is configured, never enough to use it. */
export function mask(secret: string): string {
  return `****${secret.slice(-4)}`;
}

export const isMask = (value: unknown): boolean => typeof value === "string" && /^\*{4}.{0,4}$/.test(value);

export const webhookKeyHash = (key: string) => sha256Hex(key);

export async function sameSecret(given: string | undefined | null, expectedHash: string | null): Promise<boolean> {
  if (!given || !expectedHash) return false;
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(await sha256Hex(given)), enc.encode(expectedHash));
}
