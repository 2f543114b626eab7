// The customer-support spec's email endpoints over the email channel: send (a new thread, or a reply
// in one), process (a raw RFC 822 message, or the spec's JSON fields, through the same path as the
// Worker's email() handler), and the IMAP listener, which can't exist on Workers: its start/stop say
// where mail comes from instead.
import { and, desc, eq } from "drizzle-orm";
import { createMimeMessage } from "mimetext/browser";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { channels, conversations, emailMessages, endUsers } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AccessClaims } from "../auth";
import { creatorEmailChannel, receiveEmail, type EmailOutcome } from "./email";
import { upsertEndUser } from "./end-users";
import { sendToEndUser } from "./outbound";
import type { ProcessEmailJson, SendEmailInput } from "./email-schemas";

export async function sendEmail(env: Env, actor: AccessClaims, input: SendEmailInput) {
  const channel = await creatorEmailChannel(env, actor.creator_id, input.channel_id);
  if (channel.status !== "active") throw conflict(`The channel is ${channel.status}: it can't send`);
  const t = tenant(env.DB, actor.creator_id);
  const to = input.to.toLowerCase();
  let conversationId: string;
  if (input.threadId) {
    // A reply in an existing thread: the creator's email conversation on this channel, with this person.
    const row = await t.db
      .select({ id: conversations.id, to: endUsers.externalId })
      .from(conversations)
      .innerJoin(endUsers, and(eq(endUsers.id, conversations.endUserId), eq(endUsers.creatorId, conversations.creatorId)))
      .where(t.where(conversations, eq(conversations.id, input.threadId), eq(conversations.channelId, channel.id)))
      .get();
    if (!row) throw notFound("Thread");
    if (row.to !== to) throw new AppError("VALIDATION_ERROR", "The thread is with another address", [{ field: "to", message: `This thread's correspondent is ${row.to}` }]);
    conversationId = row.id;
  } else {
    // Email may start a conversation (unlike a bot): the recipient becomes an end user of the channel.
    const user = await upsertEndUser(env, { creatorId: t.creatorId, channel: "email", user: { externalId: to }, active: false });
    conversationId = newId();
    await t.db.insert(conversations).values({ id: conversationId, creatorId: t.creatorId, endUserId: user.id, channel: "email", channelId: channel.id, metadata: { subject: input.subject } }).run();
  }
  const stored = await sendToEndUser(env, {
    creatorId: t.creatorId,
    conversationId,
    text: input.text,
    sender: "agent",
    senderId: actor.sub,
    ...(input.messageId && { clientMessageId: `api:${input.messageId}` }),
    metadata: { sent_via: "api", subject: input.subject, ...(input.html && { html: input.html }), ...(input.replyTo && { reply_to: input.replyTo }) },
  });
  return { status: "queued", messageId: stored.messageId, threadId: conversationId, channel_id: channel.id, timestamp: stored.createdAt };
}

/** The spec's JSON form becomes a real MIME message addressed to the channel, then takes the raw path. */
async function jsonToRaw(env: Env, creatorId: string, channelId: string, to: string, body: ProcessEmailJson): Promise<Uint8Array> {
  const mime = createMimeMessage();
  mime.setSender(body.from);
  mime.setTo(to);
  mime.setSubject(body.subject ?? "");
  mime.setHeader("Message-ID", `<${body.messageId ?? `${newId()}@process.invalid`}>`.replace(/^<</, "<").replace(/>>$/, ">"));
  let parent: string | null = null;
  if (body.threadId) {
    // threadId = our conversation id: the reply joins it as a mail client's reply would.
    const t = tenant(env.DB, creatorId);
    const last = await t.db
      .select({ rfc: emailMessages.rfcMessageId })
      .from(emailMessages)
      .where(t.where(emailMessages, eq(emailMessages.channelId, channelId), eq(emailMessages.conversationId, body.threadId)))
      .orderBy(desc(emailMessages.createdAt))
      .limit(1)
      .get();
    if (!last) throw notFound("Thread");
    parent = last.rfc;
  }
  if (body.inReplyTo) parent = body.inReplyTo.replace(/^<|>$/g, "");
  if (parent) {
    mime.setHeader("In-Reply-To", `<${parent}>`);
    mime.setHeader("References", `<${parent}>`);
  }
  if (body.text !== undefined) mime.addMessage({ contentType: "text/plain", data: body.text });
  if (body.html !== undefined) mime.addMessage({ contentType: "text/html", data: body.html });
  for (const a of body.attachments ?? []) mime.addAttachment({ filename: a.filename, contentType: a.contentType, data: a.content });
  return new TextEncoder().encode(mime.asRaw());
}

export async function processEmail(env: Env, creatorId: string, input: { raw?: Uint8Array; json?: ProcessEmailJson; channelId?: string }) {
  const channel = await creatorEmailChannel(env, creatorId, input.channelId ?? input.json?.channel_id);
  const raw = input.raw ?? (await jsonToRaw(env, creatorId, channel.id, channel.externalAccountId!, input.json!));
  return presentOutcome(await receiveEmail(env, channel, { raw, envelopeTo: channel.externalAccountId ?? undefined }));
}

export function presentOutcome(o: EmailOutcome) {
  return o.status === "processed"
    ? { status: "processed" as const, messageId: o.messageId, threadId: o.conversationId, email_message_id: o.rfcMessageId, answered: o.answered, duplicate: o.duplicate }
    : { status: "ignored" as const, reason: o.reason, messageId: null, threadId: o.conversationId, email_message_id: o.rfcMessageId, answered: false, duplicate: o.duplicate };
}

/** There is no IMAP on Workers: mail is pushed to the Worker by Email Routing. Both verbs say so. */
export async function listenerInfo(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select({ id: channels.id, address: channels.externalAccountId, status: channels.status }).from(channels).where(t.where(channels, eq(channels.type, "email"))).all();
  const domain = config(env).channels.email.inboundDomain;
  return {
    status: "not_applicable" as const,
    listening: rows.some((r) => r.status === "active"),
    message:
      "EdgeCoach has no IMAP listener to start or stop: Cloudflare Workers can't hold IMAP connections. Mail is pushed instead: an Email Routing rule sends the inbound addresses to this Worker's email() handler, which answers each mail as it arrives. Pause a channel (PUT /api/v1/channels/{id}, status inactive) to stop answering.",
    inbound_addresses: rows.map((r) => ({ channel_id: r.id, address: r.address, status: r.status })),
    configure: [
      `Cloudflare dashboard → Email → Email Routing for ${domain}: enable it (it adds the MX and SPF records).`,
      `Routing rules → Catch-all address (or one custom address per channel) → Action "Send to a Worker" → this Worker.`,
      "Replies go out through the Worker's send_email binding (MAILER) with MAIL_PROVIDER=send-email.",
      "Locally (wrangler dev): POST the raw message to /cdn-cgi/handler/email?from=<sender>&to=<inbound address>.",
    ],
  };
}
