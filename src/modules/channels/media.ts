// Inbound media from Telegram and WhatsApp: the platform's file handle → bytes (Telegram getFile +
// the file download URL; WhatsApp Graph media id → URL → bytes with the access token), size-limited
// while they stream, then stored as a conversation file (modules/files). Failures are values that
// say whether a retry can help, so the inbound job retries transient ones and keeps the message.
import type { InboundMedia } from "./platform";
import type { TelegramClient } from "./telegram";

export type FetchedMedia =
  | { ok: true; bytes: Uint8Array; contentType: string; fileName: string }
  /** transient: 429/5xx/network (the job retries); otherwise retrying won't help (too large, unknown file). */
  | { ok: false; transient: boolean; reason: string };

const WORDS: Record<InboundMedia["kind"], string> = { photo: "photo", document: "document", voice: "voice note", audio: "audio file", video: "video" };

/** "voice note", "photo"… as the notices and failure texts name them. */
export const mediaWord = (kind: InboundMedia["kind"]) => WORDS[kind];

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "audio/amr": "amr",
  "video/mp4": "mp4",
  "video/3gpp": "3gp",
  "application/pdf": "pdf",
};

/** The platform's file name, else "<kind>-<message id>.<ext>" (a voice note has no name of its own). */
export function mediaFileName(media: InboundMedia, externalMessageId: string, contentType: string, path?: string): string {
  if (media.fileName) return media.fileName;
  const fromPath = path?.split("/").pop();
  const ext = EXTENSIONS[contentType.split(";")[0]!.trim().toLowerCase()] ?? (fromPath?.includes(".") ? fromPath.split(".").pop() : "bin");
  const id = externalMessageId.replace(/[^A-Za-z0-9_-]/g, "").slice(-24) || "media";
  return `${media.kind}-${id}.${ext}`;
}

const megabytes = (n: number) => `${(n / 1_048_576).toFixed(n < 10_485_760 ? 1 : 0)} MB`;
const tooLarge = (size: number, max: number): FetchedMedia => ({ ok: false, transient: false, reason: `it is ${megabytes(size)}, over the ${megabytes(max)} limit` });

/** Reads a response body up to `max` bytes; the download stops as soon as it would pass the limit. */
async function readLimited(res: Response, max: number): Promise<Uint8Array | { size: number }> {
  const declared = Number(res.headers.get("Content-Length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return { size: declared };
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return { size: total };
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const httpFailure = (what: string, status: number, detail?: string): FetchedMedia => ({
  ok: false,
  transient: status === 0 || status === 429 || status >= 500,
  reason: `${what} answered ${status || "nothing"}${detail ? ` (${detail})` : ""}`,
});

async function download(url: string, init: RequestInit, max: number, what: string, secret?: string): Promise<FetchedMedia | { bytes: Uint8Array; contentType: string }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    const message = String((err as Error).message);
    return { ok: false, transient: true, reason: `${what} unreachable: ${secret ? message.replaceAll(secret, "<token>") : message}` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return httpFailure(what, res.status);
  }
  const read = await readLimited(res, max);
  if (!(read instanceof Uint8Array)) return tooLarge(read.size, max);
  return { bytes: read, contentType: res.headers.get("Content-Type")?.split(";")[0]?.trim() || "application/octet-stream" };
}

/** Telegram: getFile gives a file_path (valid an hour), downloaded from /file/bot<token>/<path>. Bots get files up to 20 MB. */
export async function fetchTelegramMedia(client: TelegramClient, baseUrl: string, token: string, media: InboundMedia, externalMessageId: string, max: number): Promise<FetchedMedia> {
  if (media.size && media.size > max) return tooLarge(media.size, max);
  const { status, answer } = await client.call<{ file_path?: string; file_size?: number }>("getFile", { file_id: media.ref });
  if (!answer.ok || !answer.result?.file_path) {
    const code = answer.error_code || status;
    // "file is too big": Telegram refuses bots files over 20 MB.
    if (/too big/i.test(answer.description ?? "")) return { ok: false, transient: false, reason: "Telegram refuses bots files over 20 MB" };
    if (code === 0) return { ok: false, transient: true, reason: answer.description ?? "Telegram API unreachable" };
    return httpFailure("Telegram getFile", code, answer.description);
  }
  if (answer.result.file_size && answer.result.file_size > max) return tooLarge(answer.result.file_size, max);
  const path = answer.result.file_path;
  const got = await download(`${baseUrl}/file/bot${token}/${path.split("/").map(encodeURIComponent).join("/")}`, {}, max, "Telegram file download", token);
  if ("ok" in got) return got;
  // Telegram serves files as application/octet-stream: the update's declared type is better (and files
  // checks the bytes anyway).
  const contentType = media.mimeType ?? got.contentType;
  return { ok: true, bytes: got.bytes, contentType, fileName: mediaFileName(media, externalMessageId, contentType, path) };
}

/** WhatsApp: GET /{media-id} (bearer) → { url, mime_type, file_size }; GET url (bearer) → bytes. The URL lives 5 minutes. */
export async function fetchWhatsAppMedia(baseUrl: string, accessToken: string, media: InboundMedia, externalMessageId: string, max: number): Promise<FetchedMedia> {
  const auth = { Authorization: `Bearer ${accessToken}` };
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/${encodeURIComponent(media.ref)}`, { headers: auth });
  } catch (err) {
    return { ok: false, transient: true, reason: `Graph API unreachable: ${(err as Error).message}` };
  }
  const info = (await res.json().catch(() => null)) as { url?: string; mime_type?: string; file_size?: number; error?: { message?: string } } | null;
  if (!res.ok || !info?.url) return httpFailure("Graph API media lookup", res.status, info?.error?.message);
  if (info.file_size && info.file_size > max) return tooLarge(info.file_size, max);
  let url: URL;
  try {
    url = new URL(info.url);
  } catch {
    return { ok: false, transient: false, reason: "the Graph API gave no valid media URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, transient: false, reason: "the Graph API gave no valid media URL" };
  const got = await download(url.toString(), { headers: auth }, max, "WhatsApp media download");
  if ("ok" in got) return got;
  const contentType = info.mime_type ?? media.mimeType ?? got.contentType;
  return { ok: true, bytes: got.bytes, contentType, fileName: mediaFileName(media, externalMessageId, contentType) };
}
