// What a webhook needs to check a delivery, kept in isolate memory for a short while: the hot path
// (verify + enqueue) then touches neither D1 nor the decryption of secrets. Holds no plaintext:
// the Telegram secret as its hash, the WhatsApp app secret as a non-extractable HMAC key.
import type { Env } from "../../env";
import { openSecrets } from "./secrets";
import type { ChannelRow } from "./store";
import { appSecretKey } from "./whatsapp";

/** Changes made in this isolate invalidate at once; other isolates catch up within this time. */
const TTL_MS = 30_000;
const MAX_ENTRIES = 5_000;

export interface WebhookChannel {
  id: string;
  creatorId: string;
  type: ChannelRow["type"];
  status: ChannelRow["status"];
  externalAccountId: string | null;
  webhookKeyHash: string | null;
  /** WhatsApp: HMAC-SHA256 key of the app secret. */
  hmacKey?: CryptoKey;
}

const entries = new Map<string, { value: WebhookChannel[]; expires: number }>();

export async function toWebhookChannel(env: Env, row: ChannelRow): Promise<WebhookChannel> {
  const base: WebhookChannel = { id: row.id, creatorId: row.creatorId, type: row.type, status: row.status, externalAccountId: row.externalAccountId, webhookKeyHash: row.webhookKeyHash };
  if (row.type !== "whatsapp") return base;
  const { app_secret } = await openSecrets(env, row.secrets);
  if (!app_secret) return base;
  return { ...base, hmacKey: await appSecretKey(app_secret) };
}

/** The channels a lookup key (path id, secret hash, phone_number_id) names, loaded once per TTL. */
export async function cachedChannels(env: Env, key: string, load: () => Promise<ChannelRow[]>): Promise<WebhookChannel[]> {
  const hit = entries.get(key);
  if (hit && hit.expires > Date.now()) return hit.value;
  const value = await Promise.all((await load()).map((row) => toWebhookChannel(env, row)));
  // Unknown keys are not remembered: a burst of forged ids can't fill the cache.
  if (value.length) {
    if (entries.size >= MAX_ENTRIES) entries.clear();
    entries.set(key, { value, expires: Date.now() + TTL_MS });
  } else entries.delete(key);
  return value;
}

/** After a channel changes or goes away. */
export function forgetChannel(channelId: string): void {
  for (const [key, entry] of entries) if (entry.value.some((c) => c.id === channelId)) entries.delete(key);
}
