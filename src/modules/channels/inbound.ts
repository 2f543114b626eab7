// Inbound webhooks: find the channel, verify the platform's proof (Telegram secret header,
// WhatsApp HMAC over the raw bytes), drop events already seen, and queue the rest — the HTTP
// answer never waits for the AI. The queued job then does the conversation work.
import { and, eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { channelEvents } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, unauthenticated } from "../../lib/errors";
import { issuesToDetails } from "../../lib/router";
import type { KeyedEvent } from "./platform";
import { openSecrets, sameSecret, webhookKeyHash } from "./secrets";
import { channelForWebhook, channelsByWebhookKey, channelsByAccount, type ChannelRow } from "./store";
import { TelegramUpdate, telegramEvents } from "./telegram";
import { WhatsAppNotification, phoneNumberIds, verifyHubSignature, whatsappEvents } from "./whatsapp";

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError("MALFORMED_REQUEST", "Request body is not valid JSON");
  }
}

/** Records each event once per channel; only events seen for the first time go on the queue. */
async function enqueueNew(env: Env, channel: ChannelRow, events: KeyedEvent[]): Promise<IngestResult> {
  if (channel.status === "inactive" || !events.length) return { accepted: 0, duplicates: 0 };
  const db = getDb(env.DB);
  const fresh: KeyedEvent[] = [];
  for (const e of events) {
    const detail = e.event.kind === "edited" || e.event.kind === "status" || e.event.kind === "membership" ? { ...e.event } : null;
    const inserted = await db
      .insert(channelEvents)
      .values({ channelId: channel.id, eventKey: e.key, creatorId: channel.creatorId, kind: e.event.kind, detail })
      .onConflictDoNothing()
      .returning({ key: channelEvents.eventKey })
      .get();
    if (inserted) fresh.push(e);
  }
  if (fresh.length) {
    try {
      await env.JOBS.sendBatch(
        fresh.map((e) => ({ body: { type: "channel.inbound" as const, creatorId: channel.creatorId, channelId: channel.id, event: e.event } })),
      );
    } catch (err) {
      // Not queued means not seen: the platform's redelivery must get another chance.
      for (const e of fresh) {
        await db.delete(channelEvents).where(and(eq(channelEvents.channelId, channel.id), eq(channelEvents.eventKey, e.key))).run();
      }
      throw new AppError("SERVICE_UNAVAILABLE", "Could not queue the update, retry later");
    }
  }
  return { accepted: fresh.length, duplicates: events.length - fresh.length };
}

/** Telegram: the channel comes from the path or from the secret header, which must match. */
export async function ingestTelegram(env: Env, input: { channelId?: string; secret?: string; raw: Uint8Array }): Promise<IngestResult> {
  if (!input.secret) throw unauthenticated("Missing X-Telegram-Bot-Api-Secret-Token");
  let channel: ChannelRow | undefined;
  if (input.channelId) {
    channel = await channelForWebhook(env, "telegram", input.channelId);
    if (!channel || !(await sameSecret(input.secret, channel.webhookKeyHash))) channel = undefined;
  } else {
    [channel] = await channelsByWebhookKey(env, "telegram", await webhookKeyHash(input.secret));
  }
  if (!channel) throw unauthenticated("Invalid X-Telegram-Bot-Api-Secret-Token");
  const parsed = TelegramUpdate.safeParse(parseJson(input.raw));
  if (!parsed.success) throw new AppError("VALIDATION_ERROR", "Not a Telegram Update", issuesToDetails(parsed.error.issues, "json"));
  return enqueueNew(env, channel, telegramEvents(parsed.data));
}

/** WhatsApp: every business number in the notification must be ours and its app secret must sign the bytes. */
export async function ingestWhatsApp(env: Env, input: { channelId?: string; signature?: string; raw: Uint8Array }): Promise<IngestResult> {
  if (!input.signature) throw unauthenticated("Missing X-Hub-Signature-256");
  // The body is untrusted until the signature checks out: it is only used to pick the channel.
  const body = parseJson(input.raw);
  const parsed = WhatsAppNotification.safeParse(body);
  let targets: ChannelRow[];
  if (input.channelId) {
    const one = await channelForWebhook(env, "whatsapp", input.channelId);
    targets = one ? [one] : [];
  } else {
    const ids = parsed.success ? phoneNumberIds(parsed.data) : [];
    targets = await channelsByAccount(env, "whatsapp", ids);
  }
  if (!targets.length) throw unauthenticated("Invalid X-Hub-Signature-256");
  for (const channel of targets) {
    const secrets = await openSecrets(env, channel.secrets);
    if (!secrets.app_secret || !(await verifyHubSignature(secrets.app_secret, input.raw, input.signature))) {
      throw unauthenticated("Invalid X-Hub-Signature-256");
    }
  }
  if (!parsed.success) throw new AppError("VALIDATION_ERROR", "Not a WhatsApp Business notification", issuesToDetails(parsed.error.issues, "json"));
  const total: IngestResult = { accepted: 0, duplicates: 0 };
  for (const channel of targets) {
    const r = await enqueueNew(env, channel, whatsappEvents(parsed.data, channel.externalAccountId ?? ""));
    total.accepted += r.accepted;
    total.duplicates += r.duplicates;
  }
  return total;
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
