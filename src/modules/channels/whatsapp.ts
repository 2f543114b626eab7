// WhatsApp Cloud API adapter: signature check over the raw bytes, the notification schema, its
// normalization into inbound events, and sending text or templates through the Graph API.
import { z } from "@hono/zod-openapi";
import { timingSafeEqual } from "../../lib/crypto";
import { isoFromEpoch, ratingScore, type InboundEvent, type InboundMedia, type KeyedEvent, type SendResult } from "./platform";
import type { templatePayload } from "./whatsapp-template";

/** E.164: a plus, a non-zero country digit, up to 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;

const encoder = new TextEncoder();

function fromHex(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f]*$/i.test(text) || text.length % 2) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The app secret as a non-extractable HMAC-SHA256 key (what signature checks and the webhook cache hold). */
export function appSecretKey(appSecret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(appSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, compared in constant time. */
export async function verifyHubSignature(appSecret: string | CryptoKey, raw: Uint8Array, header: string | undefined): Promise<boolean> {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? "");
  const given = match ? fromHex(match[1]!) : undefined;
  if (!given) return false;
  const key = typeof appSecret === "string" ? await appSecretKey(appSecret) : appSecret;
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, raw));
  return timingSafeEqual(expected, given);
}

interface GraphError {
  error?: { message?: string; code?: number; type?: string; error_data?: { details?: string } };
  messages?: { id: string }[];
}

// Cloud API error codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
const THROTTLED = new Set([4, 80007, 130429, 131056]);
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004]);

/** A free-text message (inside the 24-hour customer service window only). */
export function sendWhatsAppText(baseUrl: string, phoneNumberId: string, accessToken: string, to: string, body: string): Promise<SendResult> {
  return postMessage(baseUrl, phoneNumberId, accessToken, { to, type: "text", text: { preview_url: false, body } });
}

/** An approved template message (allowed at any time; the only kind outside the window). */
export function sendWhatsAppTemplate(baseUrl: string, phoneNumberId: string, accessToken: string, to: string, template: ReturnType<typeof templatePayload>): Promise<SendResult> {
  return postMessage(baseUrl, phoneNumberId, accessToken, { to, type: "template", template });
}

/**
 * The rating prompt: an interactive list message with five rows `rate:5` … `rate:1` (reply buttons
 * allow at most three, and CSAT is 1–5 everywhere else), answered as a `list_reply`.
 */
export function sendWhatsAppRatingList(baseUrl: string, phoneNumberId: string, accessToken: string, to: string, body: string, rows: { id: string; title: string }[]): Promise<SendResult> {
  return postMessage(baseUrl, phoneNumberId, accessToken, {
    to,
    type: "interactive",
    interactive: { type: "list", body: { text: body.slice(0, 1024) }, action: { button: "Rate", sections: [{ title: "Your rating", rows }] } },
  });
}

export async function postMessage(baseUrl: string, phoneNumberId: string, accessToken: string, message: Record<string, unknown>): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/${encodeURIComponent(phoneNumberId)}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ messaging_product: "whatsapp", recipient_type: "individual", ...message }),
    });
  } catch (err) {
    return { kind: "transient", detail: `Graph API unreachable: ${(err as Error).message}` };
  }
  let answer: GraphError = {};
  try {
    answer = (await res.json()) as GraphError;
  } catch {
    /* an HTML error page: classified by status below */
  }
  const id = answer.messages?.[0]?.id;
  if (res.ok && id) return { kind: "ok", externalMessageId: id };
  const code = answer.error?.code ?? 0;
  const detail = [answer.error?.message ?? `HTTP ${res.status}`, answer.error?.error_data?.details].filter(Boolean).join(": ");
  if (code === 131047) return { kind: "permanent", reason: "outside_service_window", detail };
  if (THROTTLED.has(code) || res.status === 429) return { kind: "rate_limited", detail };
  if (TRANSIENT.has(code) || res.status >= 500 || res.status === 0) return { kind: "transient", detail };
  // 131026 undeliverable, 131051 unsupported, 100 bad parameter, 190 token expired, …: retrying won't help.
  return { kind: "permanent", reason: code ? `graph_${code}` : `http_${res.status}`, detail };
}

const MediaRef = z
  .object({ id: z.string().max(200).optional(), mime_type: z.string().max(200).optional(), caption: z.string().optional(), filename: z.string().max(500).optional() })
  .passthrough();
const Message = z
  .object({
    from: z.string(),
    id: z.string(),
    timestamp: z.string().optional(),
    type: z.string(),
    text: z.object({ body: z.string() }).optional(),
    // Media objects carry an id to fetch (GET /{media-id} → url → bytes), the type and a caption.
    image: MediaRef.optional(),
    video: MediaRef.optional(),
    document: MediaRef.optional(),
    audio: MediaRef.extend({ voice: z.boolean().optional() }).optional(),
    button: z.object({ text: z.string().optional() }).passthrough().optional(),
    interactive: z
      .object({ button_reply: z.object({ id: z.string().optional(), title: z.string() }).passthrough().optional(), list_reply: z.object({ id: z.string().optional(), title: z.string() }).passthrough().optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();
const Status = z
  .object({ id: z.string(), status: z.string(), timestamp: z.string().optional(), recipient_id: z.string().optional(), errors: z.array(z.object({ code: z.number().optional(), title: z.string().optional() }).passthrough()).optional() })
  .passthrough();

export const WhatsAppNotification = z
  .object({
    object: z.literal("whatsapp_business_account"),
    entry: z.array(
      z.object({
        id: z.string(),
        changes: z.array(
          z.object({
            field: z.string(),
            value: z
              .object({
                metadata: z.object({ phone_number_id: z.string(), display_phone_number: z.string().optional() }).passthrough().optional(),
                contacts: z.array(z.object({ wa_id: z.string(), profile: z.object({ name: z.string().optional() }).passthrough().optional() }).passthrough()).optional(),
                messages: z.array(Message).optional(),
                statuses: z.array(Status).optional(),
              })
              .passthrough(),
          }),
        ),
      }),
    ),
  })
  .passthrough();
export type WhatsAppNotification = z.infer<typeof WhatsAppNotification>;

/** The business numbers a notification is about. */
export function phoneNumberIds(n: WhatsAppNotification): string[] {
  const ids = new Set<string>();
  for (const e of n.entry) for (const c of e.changes) if (c.value.metadata?.phone_number_id) ids.add(c.value.metadata.phone_number_id);
  return [...ids];
}

/** The file of an image, document, audio (voice: true = a recorded voice note) or video message. */
function whatsappMedia(m: z.infer<typeof Message>): InboundMedia | undefined {
  const of = (kind: InboundMedia["kind"], f: z.infer<typeof MediaRef> | undefined): InboundMedia | undefined =>
    f?.id ? { kind, ref: f.id, ...(f.mime_type && { mimeType: f.mime_type }), ...(f.filename && { fileName: f.filename }) } : undefined;
  switch (m.type) {
    case "image":
      return of("photo", m.image);
    case "document":
      return of("document", m.document);
    case "audio":
      return of(m.audio?.voice ? "voice" : "audio", m.audio);
    case "video":
      return of("video", m.video);
    default:
      return undefined;
  }
}

const STATUSES = new Set(["sent", "delivered", "read", "failed"]);

/** Events addressed to one business number. WhatsApp phone numbers are stored in E.164 (`+` prefix). */
export function whatsappEvents(n: WhatsAppNotification, phoneNumberId: string): KeyedEvent[] {
  const out: KeyedEvent[] = [];
  for (const entry of n.entry) {
    for (const change of entry.changes) {
      const v = change.value;
      if (change.field !== "messages" || v.metadata?.phone_number_id !== phoneNumberId) continue;
      for (const m of v.messages ?? []) {
        const contact = v.contacts?.find((c) => c.wa_id === m.from);
        const user = { externalId: `+${m.from.replace(/^\+/, "")}`, name: contact?.profile?.name };
        let event: InboundEvent;
        // Quick-reply buttons and list picks carry their label: that is what the user "said".
        // A rating reply button (`rate:<1-5>`) is a rating, not something the user said.
        const score = m.type === "interactive" ? ratingScore(m.interactive?.button_reply?.id ?? m.interactive?.list_reply?.id) : null;
        if (score !== null) {
          out.push({ key: `message:${m.id}`, event: { kind: "rating", user, score } });
          continue;
        }
        const said = m.type === "text" ? m.text?.body : m.type === "button" ? m.button?.text : m.type === "interactive" ? (m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title) : undefined;
        if (said !== undefined) {
          event = { kind: "message", externalMessageId: m.id, user, text: said, sentAt: isoFromEpoch(m.timestamp) };
        } else {
          const caption = m.image?.caption ?? m.video?.caption ?? m.document?.caption;
          const media = whatsappMedia(m);
          event = { kind: "message", externalMessageId: m.id, user, mediaType: m.type, ...(media && { media }), caption, sentAt: isoFromEpoch(m.timestamp) };
        }
        out.push({ key: `message:${m.id}`, event });
      }
      for (const s of v.statuses ?? []) {
        if (!STATUSES.has(s.status)) continue;
        const error = s.errors?.map((e) => [e.code, e.title].filter(Boolean).join(" ")).join("; ") || undefined;
        out.push({
          key: `status:${s.id}:${s.status}`,
          event: { kind: "status", externalMessageId: s.id, status: s.status as "sent", recipientId: s.recipient_id, error, at: isoFromEpoch(s.timestamp) },
        });
      }
    }
  }
  return out;
}
