// The email channel's inbound half: one raw RFC 822 message (from the Worker's email() handler or
// POST /api/channels/email/process) is parsed with postal-mime, checked for noise (auto-replies,
// bounces, lists, our own mail: recorded, never answered), threaded into a conversation by
// Message-ID / In-Reply-To / References, and answered through the conversation object like any
// other channel message. Attachments become conversation files (the files service, source email).
import { and, desc, eq, inArray } from "drizzle-orm";
import PostalMime, { type Email } from "postal-mime";
import { config } from "../../config";
import { getDb, tenant } from "../../db/client";
import { channels, conversations, emailMessages } from "../../db/schema";
import type { Env } from "../../env";
import { sha256Hex } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { limitEndUserChat } from "../../realtime";
import { attachmentsMetadata, storeConversationFile, type FileRecord } from "../files";
import { onEndUserCreated } from "../programs";
import { ingestInbound } from "./conversation-bridge";
import { upsertEndUser } from "./end-users";
import type { ChannelRow } from "./store";

export type IgnoredReason = "auto_reply" | "bulk" | "bounce" | "own_message" | "channel_paused";

export type EmailOutcome =
  | { status: "processed"; emailId: string; rfcMessageId: string; conversationId: string; messageId: string; answered: boolean; duplicate: boolean }
  | { status: "ignored"; emailId: string; rfcMessageId: string; reason: IgnoredReason; conversationId: string | null; duplicate: boolean };

const ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
export const isEmailAddress = (s: string) => s.length <= 254 && ADDRESS.test(s);

/** Message-IDs are compared without their angle brackets, lower-cased (RFC 5322 ids are case-sensitive in
 * theory, but mail systems rewrite case often enough that a miss costs more than a false join). */
export function normalizeMessageId(id: string | undefined | null): string | null {
  const m = /<?\s*([^<>\s]+@[^<>\s]+)\s*>?/.exec(id ?? "");
  return m ? m[1]!.toLowerCase() : null;
}

function messageIdList(header: string | undefined): string[] {
  return [...(header ?? "").matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!.toLowerCase());
}

/** The channel an inbound address belongs to (the email() handler's only unscoped lookup). */
export async function channelForAddress(env: Env, address: string): Promise<ChannelRow | undefined> {
  return getDb(env.DB).select().from(channels).where(and(eq(channels.type, "email"), eq(channels.externalAccountId, address.trim().toLowerCase()))).get();
}

/** The creator's email channel: the one named, or their only one. */
export async function creatorEmailChannel(env: Env, creatorId: string, channelId?: string): Promise<ChannelRow> {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(channels)
    .where(t.where(channels, eq(channels.type, "email"), ...(channelId ? [eq(channels.id, channelId)] : [])))
    .orderBy(desc(channels.createdAt))
    .all();
  if (!rows.length) throw new AppError("RESOURCE_NOT_FOUND", channelId ? "Email channel not found" : "No email channel: create one (POST /api/v1/channels, channel_type \"email\")");
  if (rows.length > 1) {
    throw new AppError("VALIDATION_ERROR", "Several email channels: name one", [{ field: "channel_id", message: `One of: ${rows.map((r) => r.id).join(", ")}` }]);
  }
  return rows[0]!;
}

const header = (email: Email, name: string) => email.headers.find((h) => h.key === name)?.value?.trim();

/**
 * Mail that must never be answered (RFC 3834 and the conventions around it): answering an
 * auto-responder or a bounce is how two robots mail each other forever.
 */
export function noiseOf(email: Email, envelopeFrom: string | undefined, domain: string): IgnoredReason | null {
  const from = email.from?.address?.toLowerCase() ?? "";
  const own = (s: string | null | undefined) => !!s && s.toLowerCase().endsWith(`@${domain}`);
  if (own(from) || own(normalizeMessageId(email.messageId))) return "own_message";
  const contentType = (header(email, "content-type") ?? "").toLowerCase();
  const local = from.split("@")[0] ?? "";
  if (contentType.startsWith("multipart/report") || /^(mailer-daemon|postmaster)$/.test(local) || envelopeFrom === "" || envelopeFrom === "<>") return "bounce";
  const auto = header(email, "auto-submitted")?.toLowerCase();
  if ((auto && auto !== "no") || header(email, "x-autoreply") || header(email, "x-autorespond") || header(email, "x-auto-response-suppress")?.toLowerCase() === "all") return "auto_reply";
  const precedence = header(email, "precedence")?.toLowerCase();
  if (precedence === "bulk" || precedence === "junk" || precedence === "list" || header(email, "list-id")) return "bulk";
  return null;
}

/** What the person wrote: the plain text (else the HTML's text) without the quoted history below it. */
export function visibleText(email: Email): string {
  const body = email.text ?? (email.html ? htmlToText(email.html) : "");
  const lines: string[] = [];
  for (const line of body.replace(/\r\n/g, "\n").split("\n")) {
    // "On Tue, ... Maya wrote:" / "-----Original Message-----" start the quoted history.
    if (/^On .{3,200} wrote:\s*$/.test(line) || /^-{2,}\s*Original Message\s*-{2,}/i.test(line)) break;
    if (line.startsWith(">")) continue;
    lines.push(line);
  }
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

async function uuidFrom(seed: string): Promise<string> {
  const h = await sha256Hex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Parses and checks a raw message; bad input is a 422 (or 413) and writes nothing. */
export async function parseRaw(env: Env, raw: Uint8Array): Promise<Email> {
  const max = config(env).channels.email.maxRawBytes;
  if (raw.byteLength > max) throw new AppError("PAYLOAD_TOO_LARGE", `The message is larger than ${max} bytes (EMAIL_MAX_RAW_BYTES)`);
  if (!raw.byteLength) throw new AppError("VALIDATION_ERROR", "Empty message", [{ field: "body", message: "Send a raw RFC 822 message" }]);
  let email: Email;
  try {
    email = await PostalMime.parse(raw);
  } catch (err) {
    throw new AppError("VALIDATION_ERROR", "Not an RFC 822 message", [{ field: "body", message: String((err as Error)?.message ?? err).slice(0, 200) }]);
  }
  const from = email.from?.address?.trim();
  if (!from || !isEmailAddress(from)) {
    throw new AppError("VALIDATION_ERROR", "Not an RFC 822 message: no valid From address", [{ field: "From", message: "A header like From: Maya <maya@example.com> is required" }]);
  }
  return email;
}

type StoredFile = {
  file_id: string;
  filename: string;
  content_type: string;
  size: number;
};

/**
 * Attachments become conversation files (the files service: type from the bytes, size limit,
 * R2 under the conversation's prefix, erased with it). One the service refuses (too large, active
 * content) is listed as refused; the mail is still answered.
 */
async function storeAttachments(env: Env, creatorId: string, conversationId: string, endUserId: string, email: Email) {
  const stored: FileRecord[] = [];
  const refused: { filename: string; error: string }[] = [];
  let i = 0;
  for (const a of email.attachments) {
    const name = a.filename ?? `attachment-${++i}`;
    const bytes = typeof a.content === "string" ? new TextEncoder().encode(a.content) : new Uint8Array(a.content);
    try {
      stored.push(await storeConversationFile(env, { creatorId, conversationId, endUserId, name, contentType: a.mimeType, bytes, source: "email" }));
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      refused.push({ filename: name.slice(0, 200), error: err.message });
    }
  }
  const files: StoredFile[] = stored.map((f) => ({ file_id: f.id, filename: f.name, content_type: f.content_type, size: f.size }));
  return { stored, files, refused };
}

/** The conversation this mail continues: one of our thread's mails is named in its headers, and it is the same sender's. */
async function threadOf(env: Env, creatorId: string, channelId: string, endUserId: string, refs: string[]): Promise<string | null> {
  if (!refs.length) return null;
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select({ conversationId: emailMessages.conversationId, rfc: emailMessages.rfcMessageId, endUserId: conversations.endUserId })
    .from(emailMessages)
    .innerJoin(conversations, and(eq(conversations.id, emailMessages.conversationId), eq(conversations.creatorId, emailMessages.creatorId)))
    .where(t.where(emailMessages, eq(emailMessages.channelId, channelId), inArray(emailMessages.rfcMessageId, refs.slice(-50))))
    .all();
  // A third party who learnt a Message-ID (a forwarded mail, a CC) starts their own conversation
  // instead of writing into someone else's.
  const mine = rows.filter((r) => r.endUserId === endUserId);
  // The most recent reference wins (In-Reply-To first, then References from the newest).
  for (const ref of refs) {
    const hit = mine.find((r) => r.rfc === ref);
    if (hit) return hit.conversationId;
  }
  return null;
}

/**
 * One inbound mail for `channel`. Idempotent on the mail's Message-ID: a redelivered message returns
 * the first outcome and answers nothing twice.
 */
export async function receiveEmail(env: Env, channel: ChannelRow, input: { raw: Uint8Array; envelopeFrom?: string; envelopeTo?: string }): Promise<EmailOutcome> {
  const email = await parseRaw(env, input.raw);
  const domain = config(env).channels.email.inboundDomain;
  const t = tenant(env.DB, channel.creatorId);
  const sender = email.from!.address!.trim().toLowerCase();
  const rfcMessageId = normalizeMessageId(email.messageId) ?? `${(await sha256Hex(new TextDecoder().decode(input.raw))).slice(0, 40)}@no-message-id.invalid`;

  const seen = await t.db.select().from(emailMessages).where(t.where(emailMessages, eq(emailMessages.channelId, channel.id), eq(emailMessages.rfcMessageId, rfcMessageId))).get();
  if (seen) {
    if (seen.status === "ignored") {
      return { status: "ignored", emailId: seen.id, rfcMessageId, reason: seen.ignoredReason as IgnoredReason, conversationId: seen.conversationId, duplicate: true };
    }
    return { status: "processed", emailId: seen.id, rfcMessageId, conversationId: seen.conversationId!, messageId: seen.messageId!, answered: false, duplicate: true };
  }

  const inReplyTo = normalizeMessageId(email.inReplyTo);
  const references = messageIdList(email.references);
  const base = {
    creatorId: t.creatorId,
    channelId: channel.id,
    direction: "in" as const,
    rfcMessageId,
    inReplyTo,
    references,
    fromAddress: sender,
    toAddress: (input.envelopeTo ?? channel.externalAccountId ?? "").toLowerCase(),
    subject: (email.subject ?? "").slice(0, 998),
  };

  const noise = channel.status === "inactive" ? "channel_paused" : noiseOf(email, input.envelopeFrom, domain);
  if (noise) {
    const emailId = newId();
    await t.db.insert(emailMessages).values({ ...base, id: emailId, status: "ignored", ignoredReason: noise }).onConflictDoNothing().run();
    log("info", "email not answered", { creator_id: t.creatorId, channel_id: channel.id, reason: noise });
    return { status: "ignored", emailId, rfcMessageId, reason: noise, conversationId: null, duplicate: false };
  }

  const user = await upsertEndUser(env, { creatorId: t.creatorId, channel: "email", user: { externalId: sender, name: email.from?.name || undefined }, active: true });
  // Newest first: the mail it answers, then the thread's references from the end.
  const refs = [...new Set([...(inReplyTo ? [inReplyTo] : []), ...[...references].reverse()])];
  let conversationId = await threadOf(env, t.creatorId, channel.id, user.id, refs);
  if (!conversationId) {
    // A new thread is a new conversation, its id derived from the mail so a retry finds the same one.
    conversationId = await uuidFrom(`email-conversation:${channel.id}:${rfcMessageId}`);
    await t.db
      .insert(conversations)
      .values({ id: conversationId, creatorId: t.creatorId, endUserId: user.id, channel: "email", channelId: channel.id, metadata: { subject: base.subject } })
      .onConflictDoNothing()
      .run();
  }
  if (user.created) await onEndUserCreated(env, { creatorId: t.creatorId, endUserId: user.id });

  const { stored, files, refused } = await storeAttachments(env, t.creatorId, conversationId, user.id, email);
  const body = visibleText(email);
  const text = body || (files.length ? `[${files.map((f) => f.filename).join(", ")}]` : base.subject) || "(empty message)";
  // Denial of wallet: the same per-user chat budget as the widget and the other channels.
  const budget = body ? await limitEndUserChat(env, user.id) : null;
  const answer = !!body && (budget === null || budget.allowed);
  const inbound = await ingestInbound(env, {
    creatorId: t.creatorId,
    conversationId,
    text: text.slice(0, 20_000),
    externalMessageId: rfcMessageId,
    endUserId: user.id,
    metadata: {
      channel: "email",
      subject: base.subject,
      email_message_id: rfcMessageId,
      ...(stored.length && attachmentsMetadata(stored)),
      ...(refused.length && { refused_attachments: refused }),
    },
    answer,
  });
  const emailId = newId();
  await t.db
    .insert(emailMessages)
    .values({ ...base, id: emailId, conversationId, messageId: inbound.messageId, status: "received", attachments: files })
    .onConflictDoNothing()
    .run();
  if (inbound.replyOwed) log("error", "AI reply to an email failed", { conversation_id: conversationId });
  return { status: "processed", emailId, rfcMessageId, conversationId, messageId: inbound.messageId, answered: answer && !inbound.consumed, duplicate: false };
}
