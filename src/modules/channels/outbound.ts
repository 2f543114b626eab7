// Outbound messages on Telegram and WhatsApp: store with delivery_status "queued", send from the
// JOBS queue with pacing, split long texts, send attached files through the media APIs, and apply the retry rules (429 waits retry_after, 5xx
// backs off exponentially, blocked / outside the 24-hour window are permanent and recorded). WhatsApp
// messages that name an approved template go out as that template when free text can't.
import { and, eq, sql } from "drizzle-orm";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { channelMessageRefs, channels, conversations, endUsers, messages } from "../../db/schema";
import type { Env } from "../../env";
import { HOUR } from "../../lib/clock";
import { AppError, notFound } from "../../lib/errors";
import { log } from "../../lib/logging";
import type { PostResult } from "../../realtime";
import { recordSentPart, storeMessage, updateDelivery } from "./conversation-bridge";
import { setEndUserStatus } from "./end-users";
import type { SendResult } from "./platform";
import { openSecrets } from "./secrets";
import { sendEmailMessage } from "./email-outbound";
import { splitMessage } from "./split";
import { getConversationFile } from "../files";
import { isOutboundAttachment, MAX_CAPTION_CHARS, sendTelegramMedia, sendWhatsAppMedia, takesCaption, type OutboundAttachment } from "./outbound-media";
import { TelegramClient } from "./telegram";
import { sendWhatsAppRatingList, sendWhatsAppTemplate, sendWhatsAppText } from "./whatsapp";
import { isRatingPrompt, telegramRatingKeyboard, whatsappRatingRows } from "./rating-keyboards";
import { fallbackTemplateOf, templateOf, templatePayload } from "./whatsapp-template";

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

/** Stores the message (delivery_status "queued") through the conversation's object, which puts its send on the queue. Idempotent by clientMessageId. */
export async function sendToEndUser(env: Env, input: SendInput): Promise<PostResult> {
  const t = tenant(env.DB, input.creatorId);
  const conv = await t.db.select({ channel: conversations.channel }).from(conversations).where(t.where(conversations, eq(conversations.id, input.conversationId))).get();
  if (!conv) throw notFound("Conversation");
  if (conv.channel !== "telegram" && conv.channel !== "whatsapp" && conv.channel !== "email") {
    throw new AppError("VALIDATION_ERROR", "This conversation is not on Telegram, WhatsApp or email", [{ field: "conversation_id", message: `Channel ${conv.channel} has no outbound sender` }]);
  }
  // The conversation's object stores it ("queued") and owes the send: the queue job is enqueued once
  // the D1 mirror has the message.
  return storeMessage(env, {
    creatorId: input.creatorId,
    conversationId: input.conversationId,
    sender: input.sender,
    text: input.text,
    senderId: input.senderId,
    senderName: input.senderName,
    clientMessageId: input.clientMessageId,
    deliveryStatus: "queued",
    sources: input.sources,
    metadata: input.metadata,
    enqueue: true,
  });
}

/** One platform message of an outbound message: a text part, or a file (with the text as its caption when it fits). */
type Step = { text: string } | { attachment: OutboundAttachment; caption?: string };

/** An attachment's bytes from the conversation's files; undefined when it was deleted meanwhile. */
async function attachmentBytes(env: Env, creatorId: string, conversationId: string, fileId: string): Promise<Uint8Array | undefined> {
  try {
    const file = await getConversationFile(env, creatorId, conversationId, fileId);
    return new Uint8Array(await new Response(file.body).arrayBuffer());
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return undefined;
    throw err;
  }
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
  // Everything the send needs in one round trip: the message, its conversation, recipient, channel,
  // and (for WhatsApp's 24-hour window) when the user last wrote.
  const found = await t.db
    .select({
      msg: messages,
      conv: conversations,
      user: endUsers,
      channel: channels,
      lastInboundAt: sql<string | null>`(select u.created_at from messages u where u.conversation_id = ${messages.conversationId} and u.sender = 'user' order by u.seq desc limit 1)`,
    })
    .from(messages)
    .leftJoin(conversations, and(eq(conversations.id, messages.conversationId), eq(conversations.creatorId, messages.creatorId)))
    .leftJoin(endUsers, and(eq(endUsers.id, conversations.endUserId), eq(endUsers.creatorId, messages.creatorId)))
    .leftJoin(channels, and(eq(channels.id, conversations.channelId), eq(channels.creatorId, messages.creatorId)))
    .where(t.where(messages, eq(messages.id, job.messageId)))
    .get();
  const msg = found?.msg;
  if (!msg) {
    // Not in D1 yet (the conversation object's mirror lags behind its own log) or gone for good (GDPR
    // erasure): wait a little, a bounded number of times.
    if (attempt < cfg.sendMaxAttempts) return { retryDelaySeconds: Math.min(60, 2 ** attempt) };
    log("warn", "channel send dropped: message not found", { messageId: job.messageId });
    return;
  }
  // Already settled: a duplicate job can't send twice.
  if (msg.sender === "user" || msg.deliveryStatus !== "queued") return;
  const { conv, user, channel } = found;
  if (!conv?.channelId || !user) return fail(env, job.creatorId, msg.id, "no_recipient", "The conversation has no channel end user");
  if (!channel || channel.type === "web") return fail(env, job.creatorId, msg.id, "channel_disconnected", "The channel was disconnected");
  if (user.status !== "active") return fail(env, job.creatorId, msg.id, "end_user_unreachable", `The end user is ${user.status}`);
  // Outside the 24-hour customer service window only templates may be sent (Meta policy). A message
  // that names a template goes out as that template when free text can't: outside the window by our
  // clock, or once Meta refused the free text (131047 — its clock decides); an explicit template
  // message (the messages API's type "template") always goes as one.
  // The message's own template first, else the channel's fallback template (configuration).
  const template = channel.type === "whatsapp" ? (templateOf(msg.metadata) ?? fallbackTemplateOf(channel.configuration)) : undefined;
  const outsideWindow = channel.type === "whatsapp" && (!found.lastInboundAt || Date.now() - Date.parse(found.lastInboundAt) > 24 * HOUR);
  if (outsideWindow && !template) {
    return fail(env, job.creatorId, msg.id, "outside_service_window", "More than 24 hours since the user last wrote: only templates can be sent");
  }

  const secrets = await openSecrets(env, channel.secrets);
  const pace = cfg[channel.type === "whatsapp" ? "whatsapp" : "telegram"];
  const pacer = env.CHANNEL_PACER.get(env.CHANNEL_PACER.idFromName(`${channel.type}:${channel.externalAccountId ?? channel.id}`));
  let asTemplate = !!template && (msg.metadata?.message_type === "template" || outsideWindow || msg.metadata?.sent_as === "template");

  // One paced API call: its result, or the delay until the pacer has a slot.
  const attemptSend = async (send: () => Promise<SendResult>): Promise<SendResult | { retryDelaySeconds: number }> => {
    const slot = await pacer.reserve({ chatKey: user.externalId, perSecond: pace.perSecond, chatIntervalMs: pace.chatIntervalMs, maxWaitMs: MAX_PACING_WAIT_MS });
    if (!slot.reserved) return { retryDelaySeconds: Math.ceil(slot.waitMs / 1000) };
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    return send();
  };
  // The retry rules for a send that didn't go out.
  const settle = async (result: SendResult): Promise<JobOutcome> => {
    if (result.kind === "ok") return;
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
  };

  // Email: one message, one mail (no pacing, no splitting); the reply is threaded (email-outbound.ts).
  if (channel.type === "email") {
    const sent = await sendEmailMessage(env, { msg, channel, user });
    if (sent.kind !== "ok") return settle(sent);
    return recordSentPart(env, { creatorId: job.creatorId, messageId: msg.id, channelId: channel.id, externalMessageId: sent.externalMessageId, partsSent: 1, parts: 1, externalIds: [sent.externalMessageId] });
  }

  // Text parts, then the message's files through the media API; text short enough rides as the first file's caption.
  const attachments = (Array.isArray(msg.metadata?.attachments) ? (msg.metadata!.attachments as unknown[]) : []).filter(isOutboundAttachment);
  const kind = channel.type;
  const trimmed = msg.text.trim();
  const captioned = attachments.length > 0 && trimmed.length > 0 && trimmed.length <= MAX_CAPTION_CHARS && takesCaption(kind, attachments[0]!);
  const parts: Step[] = [
    ...(captioned ? [] : splitMessage(msg.text)).map((text) => ({ text })),
    ...attachments.map((attachment, i) => ({ attachment, ...(captioned && i === 0 && { caption: trimmed }) })),
  ];
  let partsSent = Number(msg.metadata?.parts_sent ?? 0);
  const externalIds = Array.isArray(msg.metadata?.external_message_ids) ? [...(msg.metadata!.external_message_ids as string[])] : [];
  const to = user.externalId.replace(/^\+/, "");
  // The rating prompt carries its buttons on its (only) part.
  const ratingPrompt = isRatingPrompt(msg.metadata) && parts.length === 1;
  while (!asTemplate && partsSent < parts.length) {
    const part = parts[partsSent]!;
    let bytes: Uint8Array | undefined;
    if ("attachment" in part) {
      bytes = await attachmentBytes(env, job.creatorId, msg.conversationId, part.attachment.id);
      if (!bytes) return fail(env, job.creatorId, msg.id, "attachment_missing", `The attached file ${part.attachment.name} is no longer there`);
    }
    const result = await attemptSend(() => {
      if ("attachment" in part) {
        return kind === "telegram"
          ? sendTelegramMedia(new TelegramClient(cfg.telegramApiBaseUrl, secrets.bot_token!), user.externalId, part.attachment, bytes!, part.caption)
          : sendWhatsAppMedia(cfg.whatsappApiBaseUrl, channel.externalAccountId!, secrets.access_token!, to, part.attachment, bytes!, part.caption);
      }
      return kind === "telegram"
        ? new TelegramClient(cfg.telegramApiBaseUrl, secrets.bot_token!).sendMessage(user.externalId, part.text, ratingPrompt ? telegramRatingKeyboard() : {})
        : ratingPrompt
          ? sendWhatsAppRatingList(cfg.whatsappApiBaseUrl, channel.externalAccountId!, secrets.access_token!, to, part.text, whatsappRatingRows())
          : sendWhatsAppText(cfg.whatsappApiBaseUrl, channel.externalAccountId!, secrets.access_token!, to, part.text);
    });
    if (!("kind" in result)) return result;
    const sent = result;
    if (sent.kind === "ok") {
      partsSent++;
      externalIds.push(sent.externalMessageId);
      // Progress is saved per part: a retry resumes after the last part that went out.
      await recordSentPart(env, { creatorId: job.creatorId, messageId: msg.id, channelId: channel.id, externalMessageId: sent.externalMessageId, partsSent, parts: parts.length, externalIds });
      continue;
    }
    if (sent.kind === "permanent" && sent.reason === "outside_service_window" && template) {
      // Meta says the window closed: the configured template goes instead (and on any retry).
      await updateDelivery(env, { creatorId: job.creatorId, messageId: msg.id, metadata: { sent_as: "template", template_fallback: "meta_131047" } });
      asTemplate = true;
      break;
    }
    return settle(sent);
  }
  if (!asTemplate || !template) return;

  // The whole message as one template send (templates are not split).
  const result = await attemptSend(() => sendWhatsAppTemplate(cfg.whatsappApiBaseUrl, channel.externalAccountId!, secrets.access_token!, to, templatePayload(template, msg.text)));
  if (!("kind" in result)) return result;
  const sent = result;
  if (sent.kind !== "ok") return settle(sent);
  externalIds.push(sent.externalMessageId);
  await recordSentPart(env, {
    creatorId: job.creatorId,
    messageId: msg.id,
    channelId: channel.id,
    externalMessageId: sent.externalMessageId,
    partsSent: partsSent + 1,
    parts: partsSent + 1,
    externalIds,
    metadata: { sent_as: "template" },
  });
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
