// Inbound webhooks: find the channel (cached), verify the platform's proof (Telegram secret
// header, WhatsApp HMAC over the raw bytes) and queue the events — the HTTP answer waits for
// neither D1 nor the AI. The queued job de-duplicates and does the conversation work.
import type { Env } from "../../env";
import { AppError, unauthenticated } from "../../lib/errors";
import { issuesToDetails } from "../../lib/router";
import type { KeyedEvent } from "./platform";
import { sameSecret, webhookKeyHash } from "./secrets";
import { channelForWebhook, channelsByWebhookKey, channelsByAccount, type ChannelRow } from "./store";
import { TelegramUpdate, telegramEvents } from "./telegram";
import { cachedChannels, type WebhookChannel } from "./webhook-cache";
import { WhatsAppNotification, phoneNumberIds, verifyHubSignature, whatsappEvents } from "./whatsapp";

export interface IngestResult {
  /** Events put on the queue (redeliveries too: the consumer acknowledges those without work). */
  queued: number;
}

function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError("MALFORMED_REQUEST", "Request body is not valid JSON");
  }
}

/** The webhook's whole job after verification: one queue send. De-duplication happens in the consumer. */
async function enqueue(env: Env, channel: WebhookChannel, events: KeyedEvent[]): Promise<IngestResult> {
  // A paused channel acknowledges (so the platform stops redelivering) and drops.
  if (channel.status === "inactive" || !events.length) return { queued: 0 };
  try {
    await env.JOBS.sendBatch(
      events.map((e) => ({ body: { type: "channel.inbound" as const, creatorId: channel.creatorId, channelId: channel.id, eventKey: e.key, event: e.event } })),
    );
  } catch {
    // Not queued: a non-2xx makes the platform deliver it again later.
    throw new AppError("SERVICE_UNAVAILABLE", "Could not queue the update, retry later");
  }
  return { queued: events.length };
}

const byId = (env: Env, type: "telegram" | "whatsapp", id: string) =>
  cachedChannels(env, `id:${id}`, async () => {
    const row = await channelForWebhook(env, type, id);
    return row ? [row] : [];
  });

/** Telegram: the channel comes from the path or from the secret header, which must match. */
export async function ingestTelegram(env: Env, input: { channelId?: string; secret?: string; raw: Uint8Array }): Promise<IngestResult> {
  if (!input.secret) throw unauthenticated("Missing X-Telegram-Bot-Api-Secret-Token");
  let channel: WebhookChannel | undefined;
  if (input.channelId) {
    [channel] = await byId(env, "telegram", input.channelId);
    if (channel && !(await sameSecret(input.secret, channel.webhookKeyHash))) channel = undefined;
  } else {
    const hash = await webhookKeyHash(input.secret);
    [channel] = await cachedChannels(env, `tg:${hash}`, () => channelsByWebhookKey(env, "telegram", hash));
  }
  if (!channel) throw unauthenticated("Invalid X-Telegram-Bot-Api-Secret-Token");
  const parsed = TelegramUpdate.safeParse(parseJson(input.raw));
  if (!parsed.success) throw new AppError("VALIDATION_ERROR", "Not a Telegram Update", issuesToDetails(parsed.error.issues, "json"));
  return enqueue(env, channel, telegramEvents(parsed.data));
}

/** Distinct business numbers one shared-route notification may name before its signature is checked. */
const MAX_UNVERIFIED_NUMBERS = 5;

/** WhatsApp: every business number in the notification must be ours and its app secret must sign the bytes. */
export async function ingestWhatsApp(env: Env, input: { channelId?: string; signature?: string; raw: Uint8Array }): Promise<IngestResult> {
  if (!input.signature) throw unauthenticated("Missing X-Hub-Signature-256");
  // The body is untrusted until the signature checks out: it is only used to pick the channel.
  const parsed = WhatsAppNotification.safeParse(parseJson(input.raw));
  let targets: WebhookChannel[];
  if (input.channelId) {
    targets = await byId(env, "whatsapp", input.channelId);
  } else {
    // Unverified ids: a handful at most (Meta sends one business number per change), looked up in
    // one query, so a forged body full of ids can't make us run one query each.
    const ids = [...new Set(parsed.success ? phoneNumberIds(parsed.data) : [])];
    if (ids.length > MAX_UNVERIFIED_NUMBERS) throw unauthenticated("Invalid X-Hub-Signature-256");
    targets = ids.length ? await cachedChannels(env, `wa:${[...ids].sort().join(",")}`, () => channelsByAccount(env, "whatsapp", ids)) : [];
  }
  if (!targets.length) throw unauthenticated("Invalid X-Hub-Signature-256");
  for (const channel of targets) {
    if (!channel.hmacKey || !(await verifyHubSignature(channel.hmacKey, input.raw, input.signature))) {
      throw unauthenticated("Invalid X-Hub-Signature-256");
    }
  }
  if (!parsed.success) throw new AppError("VALIDATION_ERROR", "Not a WhatsApp Business notification", issuesToDetails(parsed.error.issues, "json"));
  let queued = 0;
  for (const channel of targets) queued += (await enqueue(env, channel, whatsappEvents(parsed.data, channel.externalAccountId ?? ""))).queued;
  return { queued };
}

/** Meta's GET handshake: the challenge goes back only for the right verify token; the channel becomes active. */
export async function verifyWhatsApp(
  env: Env,
  input: { channelId?: string; mode?: string; token?: string; challenge?: string },
  activate: (channel: ChannelRow) => Promise<void>,
): Promise<string> {
  const denied = new AppError("INSUFFICIENT_PERMISSIONS", "Verification failed");
  if (input.mode !== "subscribe" || !input.token || input.challenge === undefined) throw denied;
  let matches: ChannelRow[];
  if (input.channelId) {
    const channel = await channelForWebhook(env, "whatsapp", input.channelId);
    matches = channel && (await sameSecret(input.token, channel.webhookKeyHash)) ? [channel] : [];
  } else {
    // Verify tokens are chosen by creators, so two numbers may share one: each of them is verified.
    matches = await channelsByWebhookKey(env, "whatsapp", await webhookKeyHash(input.token));
  }
  if (!matches.length) throw denied;
  for (const channel of matches) await activate(channel);
  return input.challenge;
}
