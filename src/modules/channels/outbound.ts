// Outbound messages on Telegram and WhatsApp: store with delivery_status "queued", send from the
// JOBS queue with pacing, split long texts, and apply the retry rules (429 waits retry_after, 5xx
// backs off exponentially, blocked / outside the 24-hour window are permanent and recorded).
import { and, desc, eq } from "drizzle-orm";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { channelMessageRefs, conversations, endUsers, messages } from "../../db/schema";
import type { Env } from "../../env";
import { HOUR } from "../../lib/clock";
import { AppError, notFound } from "../../lib/errors";
import { log } from "../../lib/logging";
import { storeMessage, updateDelivery, type StoredMessage } from "./conversation-bridge";
import { setEndUserStatus } from "./end-users";
import type { SendResult } from "./platform";
import { openSecrets } from "./secrets";
import { splitMessage } from "./split";
import { getChannel } from "./store";
import { TelegramClient } from "./telegram";
import { sendWhatsAppText } from "./whatsapp";

export interface SendInput {
  creatorId: string;
  conversationId: string;
  text: string;
  sender: "ai" | "agent" | "system";
  senderName?: string;
  senderId?: string;
  clientMessageId?: string;
  sources?: unknown[];
  metadata?: Record<string, unknown>;
}

/** Stores the message (delivery_status "queued") and puts its send on the queue. Idempotent by clientMessageId. */
export async function sendToEndUser(env: Env, input: SendInput): Promise<StoredMessage> {
  const t = tenant(env.DB, input.creatorId);
  const conv = await t.db.select({ channel: conversations.channel }).from(conversations).where(t.where(conversations, eq(conversations.id, input.conversationId))).get();
  if (!conv) throw notFound("Conversation");
  if (conv.channel !== "telegram" && conv.channel !== "whatsapp") {
    throw new AppError("VALIDATION_ERROR", "This conversation is not on Telegram or WhatsApp", [{ field: "conversation_id", message: `Channel ${conv.channel} has no outbound sender` }]);
  }
  const stored = await storeMessage(env, {
    creatorId: input.creatorId,
    conversationId: input.conversationId,
    sender: input.sender,
    text: input.text,
    senderId: input.senderId,
    senderName: input.senderName,
    clientMessageId: input.clientMessageId,
    deliveryStatus: "queued",
    sources: input.sources,
    metadata: { ...input.metadata, parts_sent: 0 },
  });
  if (stored.stored) await enqueueDelivery(env, input.creatorId, stored.messageId);
  return stored;
}

/** Queues the delivery of a message already stored with delivery_status "queued" (by whoever owns the log). */
export async function enqueueDelivery(env: Env, creatorId: string, messageId: string): Promise<void> {
  await env.JOBS.send({ type: "channel.send", creatorId, messageId });
}

/** What the queue consumer should do with a send job. */
export type JobOutcome = { retryDelaySeconds?: number } | void;

// A pacing slot further away than this re-queues the job instead of holding the consumer.
const MAX_PACING_WAIT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fail(env: Env, creatorId: string, messageId: string, reason: string, detail: string) {
  log("warn", "channel send failed", { messageId, reason });
  await updateDelivery(env, { creatorId, messageId, status: "failed", error: detail, metadata: { delivery_failure: reason, failed_at: new Date().toISOString() } });
}

/** One delivery attempt of a stored outbound message (attempt counts from 1). */
export async function processSend(env: Env, job: { creatorId: string; messageId: string }, attempt: number): Promise<JobOutcome> {
  const cfg = config(env).channels;
  const t = tenant(env.DB, job.creatorId);
  const msg = await t.db.select().from(messages).where(t.where(messages, eq(messages.id, job.messageId))).get();
  if (!msg) {
    // Not in D1 yet (a writer whose D1 mirror lags behind its own log) or gone for good (GDPR
    // erasure): wait a little, a bounded number of times.
    if (attempt < cfg.sendMaxAttempts) return { retryDelaySeconds: Math.min(60, 2 ** attempt) };
    log("warn", "channel send dropped: message not found", { messageId: job.messageId });
    return;
  }
  // Already settled: a duplicate job can't send twice.
  if (msg.sender === "user" || msg.deliveryStatus !== "queued") return;
  const conv = await t.db.select().from(conversations).where(t.where(conversations, eq(conversations.id, msg.conversationId))).get();
  const user = conv?.endUserId ? await t.db.select().from(endUsers).where(t.where(endUsers, eq(endUsers.id, conv.endUserId))).get() : undefined;
  if (!conv?.channelId || !user) return fail(env, job.creatorId, msg.id, "no_recipient", "The conversation has no channel end user");
  let channel;
  try {
    channel = await getChannel(env, job.creatorId, conv.channelId);
  } catch {
    return fail(env, job.creatorId, msg.id, "channel_disconnected", "The channel was disconnected");
  }
  if (user.status !== "active") return fail(env, job.creatorId, msg.id, "end_user_unreachable", `The end user is ${user.status}`);
  if (channel.type === "whatsapp") {
    // Outside the 24-hour customer service window only templates may be sent (Meta policy).
    const lastInbound = await t.db
      .select({ at: messages.createdAt })
      .from(messages)
      .where(t.where(messages, eq(messages.conversationId, conv.id), eq(messages.sender, "user")))
      .orderBy(desc(messages.seq))
      .limit(1)
      .get();
    if (!lastInbound || Date.now() - Date.parse(lastInbound.at) > 24 * HOUR) {
      return fail(env, job.creatorId, msg.id, "outside_service_window", "More than 24 hours since the user last wrote: only templates can be sent");
    }
  }

  const secrets = await openSecrets(env, channel.secrets);
  const pace = cfg[channel.type === "whatsapp" ? "whatsapp" : "telegram"];
  const pacer = env.CHANNEL_PACER.get(env.CHANNEL_PACER.idFromName(`${channel.type}:${channel.externalAccountId ?? channel.id}`));
  const parts = splitMessage(msg.text);
  let partsSent = Number(msg.metadata?.parts_sent ?? 0);
  const externalIds = Array.isArray(msg.metadata?.external_message_ids) ? [...(msg.metadata!.external_message_ids as string[])] : [];

  while (partsSent < parts.length) {
    const slot = await pacer.reserve({ chatKey: user.externalId, perSecond: pace.perSecond, chatIntervalMs: pace.chatIntervalMs, maxWaitMs: MAX_PACING_WAIT_MS });
    if (!slot.reserved) return { retryDelaySeconds: Math.ceil(slot.waitMs / 1000) };
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    const part = parts[partsSent]!;
    let result: SendResult;
    if (channel.type === "telegram") {
      result = await new TelegramClient(cfg.telegramApiBaseUrl, secrets.bot_token!).sendMessage(user.externalId, part);
    } else {
      result = await sendWhatsAppText(cfg.whatsappApiBaseUrl, channel.externalAccountId!, secrets.access_token!, user.externalId.replace(/^\+/, ""), part);
    }
    if (result.kind === "ok") {
      partsSent++;
      externalIds.push(result.externalMessageId);
      await t.db.insert(channelMessageRefs).values({ channelId: channel.id, externalMessageId: result.externalMessageId, creatorId: t.creatorId, messageId: msg.id, part: partsSent - 1 }).onConflictDoNothing().run();
      // Progress is saved per part: a retry resumes after the last part that went out.
      await updateDelivery(env, { creatorId: job.creatorId, messageId: msg.id, metadata: { parts_sent: partsSent, parts: parts.length, external_message_ids: externalIds } });
      continue;
    }
    if (result.kind === "permanent") {
      if (result.blocked) await setEndUserStatus(env, job.creatorId, user.id, "unreachable");
      return fail(env, job.creatorId, msg.id, result.reason, result.detail);
    }
    // Rate limited or transient: retry later, but never forever.
    if (attempt >= cfg.sendMaxAttempts) return fail(env, job.creatorId, msg.id, `gave_up_${result.kind}`, `${result.detail} (after ${attempt} attempts)`);
    const backoff = Math.min(300, 2 ** attempt);
    const delay = result.kind === "rate_limited" && result.retryAfterSeconds ? Math.ceil(result.retryAfterSeconds) : backoff;
    await updateDelivery(env, { creatorId: job.creatorId, messageId: msg.id, metadata: { last_attempt_error: result.detail, attempts: attempt } });
    log("info", "channel send retry", { messageId: msg.id, kind: result.kind, delaySeconds: delay, attempt });
    return { retryDelaySeconds: delay };
  }
  await updateDelivery(env, { creatorId: job.creatorId, messageId: msg.id, status: "sent", metadata: { sent_at: new Date().toISOString() } });
}

/** A WhatsApp delivery/read/failed status for one of our messages. */
export async function recordDeliveryStatus(
  env: Env,
  input: { creatorId: string; channelId: string; externalMessageId: string; status: string; error?: string },
): Promise<boolean> {
  const t = tenant(env.DB, input.creatorId);
  const ref = await t.db
    .select({ messageId: channelMessageRefs.messageId })
    .from(channelMessageRefs)
    .where(and(t.where(channelMessageRefs, eq(channelMessageRefs.channelId, input.channelId)), eq(channelMessageRefs.externalMessageId, input.externalMessageId)))
    .get();
  if (!ref) return false;
  await updateDelivery(env, { creatorId: input.creatorId, messageId: ref.messageId, status: input.status, error: input.error, metadata: { [`${input.status}_at`]: new Date().toISOString() } });
  return true;
}
