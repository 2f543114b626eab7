// POST /api/v1/channels/{channel_id}/messages: a creator or agent writes to an end user through the
// channel (the customer-support spec's "Send WhatsApp Message", generalised) — same queue, same rules.
import { and, desc, eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversations, messages } from "../../db/schema";
import type { Env } from "../../env";
import { HOUR } from "../../lib/clock";
import { conflict, invalid, notFound } from "../../lib/errors";
import type { AccessClaims } from "../auth";
import { resolveAttachments, type AttachmentMeta } from "../files";
import { openConversation } from "./conversation-bridge";
import { findEndUser } from "./end-users";
import { sendToEndUser } from "./outbound";
import type { SendMessageInput } from "./schemas";
import { splitMessage } from "./split";
import { getChannel } from "./store";
import { fallbackTemplateOf, templateOf, templateTranscript } from "./whatsapp-template";

type MessageRow = typeof messages.$inferSelect;

function present(row: MessageRow, endUserId: string) {
  const meta = row.metadata ?? {};
  const template = meta.message_type === "template" ? templateOf(meta) : undefined;
  return {
    status: row.deliveryStatus ?? "queued",
    messageId: row.clientMessageId ?? row.id,
    message_id: row.id,
    type: template ? ("template" as const) : ("text" as const),
    ...(template && { template }),
    conversation_id: row.conversationId,
    end_user_id: endUserId,
    seq: row.seq,
    text: row.text,
    sender: row.sender,
    delivery_status: row.deliveryStatus,
    delivery_error: typeof meta.delivery_error === "string" ? meta.delivery_error : null,
    attachments: Array.isArray(meta.attachments) ? (meta.attachments as AttachmentMeta[]) : [],
    parts: template ? 1 : splitMessage(row.text).length + (Array.isArray(meta.attachments) ? meta.attachments.length : 0),
    timestamp: row.createdAt,
  };
}

export async function sendChannelMessage(env: Env, actor: AccessClaims, channelId: string, input: SendMessageInput) {
  const channel = await getChannel(env, actor.creator_id, channelId);
  if (channel.type === "web") throw invalid([{ field: "channel_id", message: "Web widget channels have no outbound sender: use the conversation's socket" }]);
  if (input.type === "template" && channel.type !== "whatsapp") throw invalid([{ field: "type", message: "Template messages exist on WhatsApp only" }]);
  if (channel.status !== "active") throw conflict(`The channel is ${channel.status}: it can't send`);
  const kind = channel.type;
  const externalId = input.to && kind === "whatsapp" ? `+${input.to.replace(/^\+/, "")}` : input.to;
  const user = input.end_user_id
    ? await findEndUser(env, actor.creator_id, { id: input.end_user_id })
    : await findEndUser(env, actor.creator_id, { channel: kind, externalId });
  // Bots can only write to people who wrote first: an unknown recipient is not found.
  if (!user || user.channel !== kind) throw notFound("End user");
  if (user.status !== "active") throw conflict(`The end user is ${user.status} on this channel (they blocked or removed the bot)`);
  const { conversationId } = await openConversation(env, { creatorId: actor.creator_id, channelId: channel.id, channel: kind, endUserId: user.id });

  const t = tenant(env.DB, actor.creator_id);
  // Templates may go at any time; free text only within 24 hours of the user's last message, unless
  // the channel has a fallback template to carry it.
  if (kind === "whatsapp" && input.type === "text" && !fallbackTemplateOf(channel.configuration)) {
    const last = await t.db
      .select({ at: messages.createdAt })
      .from(messages)
      .where(t.where(messages, eq(messages.conversationId, conversationId), eq(messages.sender, "user")))
      .orderBy(desc(messages.seq))
      .limit(1)
      .get();
    if (!last || Date.now() - Date.parse(last.at) > 24 * HOUR) {
      throw invalid([{ field: "to", message: "More than 24 hours since this user last wrote: WhatsApp only allows template messages (type \"template\")" }]);
    }
  }
  // Only files of this end user's conversation can go with it (another conversation's id is refused).
  const attachments = input.attachments ? await resolveAttachments(env, actor.creator_id, conversationId, input.attachments) : [];
  const stored = await sendToEndUser(env, {
    creatorId: actor.creator_id,
    conversationId,
    text: input.template ? templateTranscript(input.template) : (input.text ?? ""),
    sender: "agent",
    senderId: actor.sub,
    clientMessageId: input.messageId ? `api:${input.messageId}` : undefined,
    metadata: { sent_via: "api", ...(attachments.length && { attachments }), ...(input.template && { message_type: "template", whatsapp_template: { ...input.template, parameters: input.template.parameters ?? [] } }) },
  });
  const row = await t.db.select().from(messages).where(t.where(messages, eq(messages.id, stored.messageId))).get();
  return { ...present(row!, user.id), messageId: input.messageId ?? row!.id };
}

export async function getChannelMessage(env: Env, creatorId: string, channelId: string, messageId: string) {
  const channel = await getChannel(env, creatorId, channelId);
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .select({ m: messages, endUserId: conversations.endUserId })
    .from(messages)
    .innerJoin(conversations, and(eq(conversations.id, messages.conversationId), eq(conversations.creatorId, messages.creatorId)))
    .where(and(t.where(messages, eq(messages.id, messageId)), eq(conversations.channelId, channel.id)))
    .get();
  if (!row) throw notFound("Message");
  return present(row.m, row.endUserId ?? "");
}
