// The queued half of an inbound webhook: end user and conversation, the message stored once, and
// the answer — the AI for text (and voice notes, which the object transcribes), the welcome for
// /start, a polite notice for media without words. Media are fetched and stored first. Edits,
// delivery statuses and membership changes are recorded, never answered.
import { and, eq, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { channelEvents, type ChannelKind } from "../../db/schema";
import { config } from "../../config";
import { nowIso } from "../../lib/clock";
import type { Env } from "../../env";
import { log } from "../../lib/logging";
import { ingestInbound, openConversation, recordEdit } from "./conversation-bridge";
import { setEndUserStatus, upsertEndUser } from "./end-users";
import { recordDeliveryStatus, sendToEndUser } from "./outbound";
import { failedMediaText, receiveMedia } from "./inbound-media";
import { mediaWord } from "./media";
import type { InboundEvent, InboundMedia } from "./platform";
import { ratingPressed } from "./rating-prompt";
import { getChannel, type ChannelRow } from "./store";
import { onEndUserCreated } from "../programs";
import { limitEndUserChat } from "../../realtime";
import { getPersona } from "../assistant";

export const DEFAULT_WELCOME = "Hi! I'm an AI assistant. Ask me anything, and I'll answer from what I've been taught.";
export const TEXT_ONLY_NOTICE = "Sorry, I can only read text messages for now. Could you type your question?";
/** A photo, document or video without words: kept, and the user is asked what they'd like to know. */
export const mediaNotice = (media: InboundMedia) =>
  `Thanks, I've kept your ${mediaWord(media.kind)} with our conversation. I can only read text myself, so could you tell me in words what you'd like to know?`;
export const fetchFailedNotice = (media: InboundMedia) => `Sorry, your ${mediaWord(media.kind)} didn't come through. Could you send it again, or type your question?`;
export const UNAVAILABLE_NOTICE = "Sorry, I can't answer right now. Please try again a little later.";

/**
 * Runs one inbound event once. The event row is written first and marked processed last: a
 * redelivery after that is acknowledged without work; a retry after a crash redoes the steps,
 * each of which is idempotent (messages and replies are keyed on the platform's message id).
 */
export async function processInbound(env: Env, job: { creatorId: string; channelId: string; eventKey: string; event: InboundEvent }, attempt = 1): Promise<void> {
  let channel;
  try {
    channel = await getChannel(env, job.creatorId, job.channelId);
  } catch {
    return; // disconnected since: nothing to answer through
  }
  if (channel.type === "web") return;
  const t = tenant(env.DB, job.creatorId);
  const key = and(t.where(channelEvents, eq(channelEvents.channelId, channel.id)), eq(channelEvents.eventKey, job.eventKey));
  const kind0 = job.event.kind;
  // One round trip: insert the event, or touch it and read whether it was already processed.
  const seen = await t.db
    .insert(channelEvents)
    .values({ channelId: channel.id, eventKey: job.eventKey, creatorId: t.creatorId, kind: kind0, externalUserId: eventUser(channel.type, job.event), detail: kind0 === "message" ? null : { ...job.event } })
    .onConflictDoUpdate({ target: [channelEvents.channelId, channelEvents.eventKey], set: { kind: sql`${channelEvents.kind}` } })
    .returning({ processedAt: channelEvents.processedAt })
    .get();
  if (seen?.processedAt) return;
  await handleEvent(env, channel, job, attempt);
  await t.db.update(channelEvents).set({ processedAt: nowIso() }).where(key).run();
}

/** The end user an event is about (end_users.external_id), so erasing them erases their events too. */
function eventUser(type: ChannelRow["type"], event: InboundEvent): string | null {
  if ("user" in event) return event.user.externalId;
  // A delivery status names its recipient: the WhatsApp id without the "+" our end users carry.
  if (event.kind === "status" && event.recipientId) return type === "whatsapp" ? `+${event.recipientId.replace(/^\+/, "")}` : event.recipientId;
  return null;
}

/** The contact's conversation, opened on first contact; a new contact is auto-enrolled once
 * (whichever of their first events — a message, or starting the bot — created them). */
async function firstContact(env: Env, channel: { id: string; kind: ChannelKind }, creatorId: string, user: { id: string; created: boolean }): Promise<string> {
  const { conversationId } = await openConversation(env, { creatorId, channelId: channel.id, channel: channel.kind, endUserId: user.id });
  // Programs with auto-enrol take them in (their messages land in this conversation).
  if (user.created) await onEndUserCreated(env, { creatorId, endUserId: user.id });
  return conversationId;
}

async function handleEvent(env: Env, channel: ChannelRow, job: { creatorId: string; event: InboundEvent }, attempt: number): Promise<void> {
  if (channel.type !== "telegram" && channel.type !== "whatsapp") return; // web and email have their own paths
  const kind = channel.type;
  const event = job.event;

  if (event.kind === "status") {
    await recordDeliveryStatus(env, { creatorId: job.creatorId, channelId: channel.id, externalMessageId: event.externalMessageId, status: event.status, error: event.error });
    return;
  }
  if (event.kind === "membership") {
    // "member": the user started (or unblocked) the bot — a contact like a first message, reachable again.
    const joined = event.status === "member";
    const user = await upsertEndUser(env, { creatorId: job.creatorId, channel: kind, user: event.user, active: joined });
    // "kicked" = the user blocked the bot: sends would fail with 403 until they restart it.
    if (event.status === "kicked" || event.status === "left") await setEndUserStatus(env, job.creatorId, user.id, "unreachable");
    if (joined) await firstContact(env, { id: channel.id, kind }, job.creatorId, user);
    return;
  }

  const user = await upsertEndUser(env, { creatorId: job.creatorId, channel: kind, user: event.user, active: true });
  const conversationId = await firstContact(env, { id: channel.id, kind }, job.creatorId, user);
  if (event.kind === "rating") {
    await ratingPressed(env, channel, { creatorId: job.creatorId, conversationId, score: event.score, callbackQueryId: event.callbackQueryId });
    return;
  }
  if (event.kind === "edited") {
    await recordEdit(env, { creatorId: job.creatorId, conversationId, externalMessageId: event.externalMessageId, text: event.text, editedAt: event.editedAt });
    return;
  }

  // Photos, documents, voice notes, audio and video are fetched and stored as the message's attachment;
  // the caption is its text. Stickers, locations, contacts… are not stored: the text names them.
  const received = event.media ? await receiveMedia(env, { ...channel, type: kind }, { creatorId: job.creatorId, conversationId, endUserId: user.id, externalMessageId: event.externalMessageId, media: event.media }, attempt) : null;
  const caption = event.caption?.trim() || undefined;
  const text =
    event.text ??
    (received?.status === "failed" ? failedMediaText(kind, event.media!, received.reason, caption) : event.media ? (caption ?? "") : `[${event.mediaType ?? "attachment"}]${caption ? ` ${caption}` : ""}`);
  // Audio goes to the object, which transcribes it and answers the transcript; a caption is answered
  // like a message. /start, unsupported media, media without words and failed fetches get a notice here.
  const audio = event.media && (event.media.kind === "voice" || event.media.kind === "audio") && received?.status !== "failed";
  const answerable = event.text !== undefined || (event.media !== undefined && received?.status !== "failed" && (audio || caption !== undefined));
  const notice =
    event.command === "start" || answerable
      ? undefined
      : received?.status === "failed"
        ? fetchFailedNotice(event.media!)
        : event.media
          ? mediaNotice(event.media)
          : TEXT_ONLY_NOTICE;
  const answeredHere = event.command === "start" || !answerable;
  // Denial of wallet: a Telegram or WhatsApp user is limited like a widget user (same per-user chat
  // budget); past it their message is kept for the creator but costs no AI answer.
  const budget = answeredHere ? null : await limitEndUserChat(env, user.id);
  const overBudget = budget !== null && !budget.allowed;
  if (overBudget) log("warn", "channel end user over the chat limit: not answered", { creator_id: job.creatorId, end_user_id: user.id });
  const inbound = await ingestInbound(env, {
    creatorId: job.creatorId,
    conversationId,
    text,
    externalMessageId: event.externalMessageId,
    endUserId: user.id,
    metadata: {
      channel: kind,
      ...(event.mediaType ? { media_type: event.mediaType } : {}),
      ...(event.sentAt ? { sent_at: event.sentAt } : {}),
      ...(caption && event.media ? { caption } : {}),
      ...(received?.status === "stored" ? received.metadata : {}),
      ...(received?.status === "failed" ? { media_error: received.reason } : {}),
    },
    answer: !answeredHere && !overBudget,
  });
  // Replies are keyed on the inbound message, so a redelivered job never answers twice.
  if (event.command === "start") {
    // The channel's own welcome, else the assistant's greeting (persona), else ours.
    const welcome =
      typeof channel.configuration.welcome_message === "string" ? channel.configuration.welcome_message : ((await getPersona(env, job.creatorId)).greeting ?? DEFAULT_WELCOME);
    await sendToEndUser(env, { creatorId: job.creatorId, conversationId, text: welcome, sender: "system", clientMessageId: `welcome:${inbound.messageId}` });
  } else if (notice) {
    await sendToEndUser(env, { creatorId: job.creatorId, conversationId, text: notice, sender: "system", clientMessageId: `notice:${inbound.messageId}` });
  } else if (inbound.replyOwed) {
    // The assistant failed: the queue retries (the object re-runs the owed reply); on the last
    // attempt the user hears that, instead of silence.
    if (attempt < config(env).channels.sendMaxAttempts) throw new Error("AI reply failed, retrying");
    log("error", "AI reply failed for good", { conversationId });
    await sendToEndUser(env, { creatorId: job.creatorId, conversationId, text: UNAVAILABLE_NOTICE, sender: "system", clientMessageId: `unavailable:${inbound.messageId}` });
  }
}
