// The email channel's outbound half: a stored message of an email conversation (the AI's reply, an
// agent's, one sent by POST /api/channels/email/send) becomes a proper reply built with mimetext —
// "Re:" subject, In-Reply-To and References of the thread, our own Message-ID, From the channel's
// address — sent with the send_email binding (MAIL_PROVIDER=send-email) or logged locally; either
// way the MIME is kept in email_messages (the local outbox).
import { and, desc, eq } from "drizzle-orm";
// The browser build: CRLF line ends as RFC 5322 wants (the Node build uses the OS EOL) and no Node imports.
import { createMimeMessage, Mailbox } from "mimetext/browser";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { emailMessages, type channels, type endUsers, type messages } from "../../db/schema";
import type { Env } from "../../env";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import type { SendResult } from "./platform";

/** RFC 5322 allows any length of References; mail systems cut them, and so do we (the root and the latest). */
const MAX_REFERENCES = 20;

export const replySubject = (subject: string) => (/^\s*re\s*:/i.test(subject) ? subject.trim() : `Re: ${subject.trim() || "(no subject)"}`);

/** Base64 in 76-character lines (RFC 2045) of the UTF-8 text. */
function base64Body(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return (btoa(bin).match(/.{1,76}/g) ?? [""]).join("\r\n");
}

/** Our Message-ID for a stored message: derived from its id, so a retried send is recognised. */
export const ourMessageId = (env: Env, messageId: string) => `${messageId}@${config(env).channels.email.inboundDomain}`;

type Msg = typeof messages.$inferSelect;
type Channel = typeof channels.$inferSelect;
type User = typeof endUsers.$inferSelect;

/** Builds the reply's MIME (RFC 5322 headers; text/plain, plus text/html when the sender gave one). */
export async function buildEmail(env: Env, input: { msg: Msg; channel: Channel; to: string }) {
  const t = tenant(env.DB, input.msg.creatorId);
  // The mail this one answers: the thread's latest inbound mail.
  const last = await t.db
    .select()
    .from(emailMessages)
    .where(and(t.where(emailMessages, eq(emailMessages.conversationId, input.msg.conversationId), eq(emailMessages.direction, "in"), eq(emailMessages.status, "received"))))
    .orderBy(desc(emailMessages.createdAt))
    .limit(1)
    .get();
  const meta = input.msg.metadata ?? {};
  const rfcMessageId = ourMessageId(env, input.msg.id);
  const subject = typeof meta.subject === "string" ? meta.subject : last ? replySubject(last.subject) : input.channel.name;
  const references = last ? [...new Set([...last.references, last.rfcMessageId])].slice(-MAX_REFERENCES) : [];
  const from = input.channel.externalAccountId!;
  const fromName = typeof input.channel.configuration.from_name === "string" ? input.channel.configuration.from_name : input.channel.name;

  const mime = createMimeMessage();
  mime.setSender({ name: fromName, addr: from });
  mime.setTo(input.to);
  mime.setSubject(subject);
  mime.setHeader("Message-ID", `<${rfcMessageId}>`);
  if (last) {
    mime.setHeader("In-Reply-To", `<${last.rfcMessageId}>`);
    mime.setHeader("References", references.map((r) => `<${r}>`).join(" "));
  }
  if (typeof meta.reply_to === "string") mime.setHeader("Reply-To", new Mailbox(meta.reply_to));
  // RFC 3834: an automatic answer says so, so the other side's auto-responder doesn't answer it.
  if (input.msg.sender === "ai" || input.msg.sender === "system") mime.setHeader("Auto-Submitted", "auto-replied");
  // Base64 bodies: any text (accents, emoji, long lines) survives every relay unchanged.
  mime.addMessage({ contentType: "text/plain", encoding: "base64", data: base64Body(input.msg.text) });
  if (typeof meta.html === "string") mime.addMessage({ contentType: "text/html", encoding: "base64", data: base64Body(meta.html) });
  return { raw: mime.asRaw(), rfcMessageId, subject, inReplyTo: last?.rfcMessageId ?? null, references, from };
}

/** One delivery attempt of a stored email message; the caller applies the retry rules to the result. */
export async function sendEmailMessage(env: Env, input: { msg: Msg; channel: Channel; user: User }): Promise<SendResult> {
  const t = tenant(env.DB, input.msg.creatorId);
  const built = await buildEmail(env, { msg: input.msg, channel: input.channel, to: input.user.externalId });
  // Sent before (a retry after a crash between the send and the status): not sent twice.
  const sent = await t.db
    .select({ status: emailMessages.status })
    .from(emailMessages)
    .where(t.where(emailMessages, eq(emailMessages.channelId, input.channel.id), eq(emailMessages.rfcMessageId, built.rfcMessageId)))
    .get();
  if (sent && sent.status !== "failed") return { kind: "ok", externalMessageId: built.rfcMessageId };

  const cfg = config(env);
  let status: "sent" | "logged";
  if (cfg.mailProvider === "send-email") {
    if (!env.MAILER) return { kind: "permanent", reason: "no_mailer", detail: "MAIL_PROVIDER=send-email needs the MAILER send_email binding" };
    try {
      const { EmailMessage } = await import("cloudflare:email");
      await env.MAILER.send(new EmailMessage(built.from, input.user.externalId, built.raw));
      status = "sent";
    } catch (err) {
      // The binding refuses unverified destinations and malformed mail: not worth retrying.
      const detail = String((err as Error)?.message ?? err).slice(0, 300);
      return /destination|not verified|invalid/i.test(detail) ? { kind: "permanent", reason: "email_rejected", detail } : { kind: "transient", detail };
    }
  } else {
    status = "logged";
    log("info", "email.sent (logged, not delivered)", { channel_id: input.channel.id, mail_to: input.user.externalId, subject: built.subject, message_id: built.rfcMessageId });
  }
  await t.db
    .insert(emailMessages)
    .values({
      id: newId(),
      creatorId: t.creatorId,
      channelId: input.channel.id,
      conversationId: input.msg.conversationId,
      messageId: input.msg.id,
      direction: "out",
      rfcMessageId: built.rfcMessageId,
      inReplyTo: built.inReplyTo,
      references: built.references,
      fromAddress: built.from,
      toAddress: input.user.externalId,
      subject: built.subject,
      status,
      raw: built.raw,
    })
    .onConflictDoUpdate({ target: [emailMessages.channelId, emailMessages.rfcMessageId], set: { status, raw: built.raw } })
    .run();
  return { kind: "ok", externalMessageId: built.rfcMessageId };
}
