// Factories for email channel tests: raw RFC 822 messages written by hand (so they don't share our
// MIME builder), the channel, and readers of the email_messages log (the local outbox).
import { env } from "cloudflare:test";
import PostalMime from "postal-mime";
import { api, type Session } from "./helpers";
import { eventually } from "./channel-helpers";

export interface RawEmailInput {
  from: string;
  to: string;
  subject?: string;
  text?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  contentType?: string;
  attachments?: { filename: string; contentType: string; content: string }[];
}

function b64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return (btoa(bin).match(/.{1,76}/g) ?? [""]).join("\r\n");
}

export function rawEmail(m: RawEmailInput): string {
  const head = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject ?? "Question about my plan"}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${m.messageId ?? `${crypto.randomUUID()}@client.example.com`}>`,
    ...(m.inReplyTo ? [`In-Reply-To: <${m.inReplyTo}>`] : []),
    ...(m.references?.length ? [`References: ${m.references.map((r) => `<${r}>`).join(" ")}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
  ];
  const text = m.text ?? "How many rest days should I take each week?";
  if (!m.attachments?.length) {
    return [...head, `Content-Type: ${m.contentType ?? "text/plain; charset=utf-8"}`, "Content-Transfer-Encoding: base64", "", b64(text), ""].join("\r\n");
  }
  const boundary = `b-${crypto.randomUUID()}`;
  const parts = [
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    b64(text),
    ...m.attachments.flatMap((a) => [
      `--${boundary}`,
      `Content-Type: ${a.contentType}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      "Content-Transfer-Encoding: base64",
      "",
      b64(a.content),
    ]),
    `--${boundary}--`,
    "",
  ];
  return [...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, "", ...parts].join("\r\n");
}

export async function createEmailChannel(s: Session, configuration: Record<string, unknown> = {}) {
  const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "email", channel_name: "Coach Mail", configuration } });
  if (res.status !== 201) throw new Error(`email channel: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as any;
  return { id: body.id as string, address: body.configuration.inbound_address as string, body };
}

export function processRaw(s: Session, raw: string, query = "") {
  return api(`/api/channels/email/process${query}`, { method: "POST", token: s.access_token, headers: { "Content-Type": "message/rfc822" }, body: raw });
}

export interface EmailRow {
  id: string;
  conversation_id: string | null;
  message_id: string | null;
  direction: "in" | "out";
  rfc_message_id: string;
  in_reply_to: string | null;
  references: string;
  from_address: string;
  to_address: string;
  subject: string;
  status: string;
  ignored_reason: string | null;
  raw: string | null;
  attachments: string;
}

export async function emailRows(channelId: string, direction?: "in" | "out"): Promise<EmailRow[]> {
  const rows = await env.DB.prepare(`SELECT * FROM email_messages WHERE channel_id = ?${direction ? " AND direction = ?" : ""} ORDER BY created_at, rowid`)
    .bind(...(direction ? [channelId, direction] : [channelId]))
    .all<EmailRow>();
  return rows.results;
}

/** Waits for `n` outbound mails of the channel (the send job runs on the queue). */
export async function outboundMails(channelId: string, n: number): Promise<EmailRow[]> {
  return eventually(async () => {
    const rows = await emailRows(channelId, "out");
    return rows.length >= n ? rows : undefined;
  }, `${n} outbound mail(s)`);
}

export const parseMail = (raw: string) => PostalMime.parse(raw);

export const headerOf = (parsed: Awaited<ReturnType<typeof parseMail>>, name: string) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value;
