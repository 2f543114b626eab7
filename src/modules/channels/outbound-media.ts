// Outbound attachments on Telegram and WhatsApp: each file of a message goes out through the
// platform's media API — Telegram sendPhoto/sendDocument/sendVoice/sendAudio/sendVideo as multipart;
// WhatsApp an upload to /{phone-number-id}/media, then an image/document/audio/video message naming
// the media id. Results are classified like text sends (429/5xx retry, the rest is permanent).
import type { SendResult } from "./platform";
import { classifyTelegram, type TelegramClient } from "./telegram";
import { postMessage } from "./whatsapp";

/** A message attachment as the files service puts it in message metadata. */
export interface OutboundAttachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
}

export const isOutboundAttachment = (a: unknown): a is OutboundAttachment =>
  typeof a === "object" && a !== null && typeof (a as OutboundAttachment).id === "string" && typeof (a as OutboundAttachment).content_type === "string";

/** Longest caption either platform takes on a media message (Telegram and WhatsApp: 1024). */
export const MAX_CAPTION_CHARS = 1024;

const base = (t: string) => t.split(";")[0]!.trim().toLowerCase();

/** Telegram's method and field for a file: photos up to 10 MB, Ogg/Opus as a voice note, MP3/M4A as audio, MP4 as video; the rest as a document. */
export function telegramMethodFor(a: OutboundAttachment): { method: string; field: string } {
  const t = base(a.content_type);
  if ((t === "image/jpeg" || t === "image/png" || t === "image/webp") && a.size <= 10 * 1024 * 1024) return { method: "sendPhoto", field: "photo" };
  if (t === "audio/ogg" || t === "audio/opus") return { method: "sendVoice", field: "voice" };
  if (t === "audio/mpeg" || t === "audio/mp3" || t === "audio/mp4" || t === "audio/x-m4a" || t === "audio/m4a") return { method: "sendAudio", field: "audio" };
  if (t === "video/mp4") return { method: "sendVideo", field: "video" };
  return { method: "sendDocument", field: "document" };
}

/** WhatsApp's message type for a file (Cloud API supported media); anything else goes as a document. */
export function whatsappTypeFor(a: OutboundAttachment): "image" | "audio" | "video" | "document" {
  const t = base(a.content_type);
  if ((t === "image/jpeg" || t === "image/png") && a.size <= 5 * 1024 * 1024) return "image";
  if (["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"].includes(t) && a.size <= 16 * 1024 * 1024) return "audio";
  if ((t === "video/mp4" || t === "video/3gpp") && a.size <= 16 * 1024 * 1024) return "video";
  return "document";
}

/** Whether the file's message can carry the text as its caption (WhatsApp audio can't). */
export function takesCaption(channel: "telegram" | "whatsapp", a: OutboundAttachment): boolean {
  return channel === "telegram" || whatsappTypeFor(a) !== "audio";
}

export async function sendTelegramMedia(client: TelegramClient, chatId: string, a: OutboundAttachment, bytes: Uint8Array, caption?: string): Promise<SendResult> {
  const { method, field } = telegramMethodFor(a);
  const form = new FormData();
  form.append("chat_id", chatId);
  form.append(field, new File([bytes], a.name, { type: a.content_type }));
  if (caption) form.append("caption", caption);
  const { status, answer } = await client.call<{ message_id: number }>(method, form);
  return classifyTelegram(status, answer);
}

export async function sendWhatsAppMedia(
  baseUrl: string,
  phoneNumberId: string,
  accessToken: string,
  to: string,
  a: OutboundAttachment,
  bytes: Uint8Array,
  caption?: string,
): Promise<SendResult> {
  const type = whatsappTypeFor(a);
  const form = new FormData();
  form.append("messaging_product", "whatsapp");
  form.append("type", base(a.content_type));
  form.append("file", new File([bytes], a.name, { type: base(a.content_type) }));
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/${encodeURIComponent(phoneNumberId)}/media`, { method: "POST", headers: { Authorization: `Bearer ${accessToken}` }, body: form });
  } catch (err) {
    return { kind: "transient", detail: `Graph API unreachable: ${(err as Error).message}` };
  }
  const uploaded = (await res.json().catch(() => null)) as { id?: string; error?: { message?: string; code?: number } } | null;
  if (!res.ok || !uploaded?.id) {
    const detail = `media upload: ${uploaded?.error?.message ?? `HTTP ${res.status}`}`;
    if (res.status === 429 || uploaded?.error?.code === 4 || uploaded?.error?.code === 80007) return { kind: "rate_limited", detail };
    if (res.status >= 500) return { kind: "transient", detail };
    return { kind: "permanent", reason: uploaded?.error?.code ? `graph_${uploaded.error.code}` : `http_${res.status}`, detail };
  }
  const media: Record<string, unknown> = { id: uploaded.id };
  if (caption && type !== "audio") media.caption = caption;
  if (type === "document") media.filename = a.name;
  return postMessage(baseUrl, phoneNumberId, accessToken, { to, type, [type]: media });
}
