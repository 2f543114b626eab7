// Factories for channel tests: Telegram bots and WhatsApp numbers connected against the local
// platform stub, signed webhook deliveries built from the fixtures, and polling helpers.
import { env } from "cloudflare:test";
import { api, type Session } from "./helpers";
import tgText from "./fixtures/telegram/text-message.json";
import waText from "./fixtures/whatsapp/text-message.json";

export { tgText, waText };

const rand = (n: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alphabet[b % alphabet.length]).join("");

export const botToken = () => `${7_000_000_000 + Math.floor(Math.random() * 900_000_000)}:${rand(35)}`;
export const phoneNumberId = () => `1${rand(14, "0123456789")}`;

export interface StubCall {
  key: string;
  method: string;
  body: any;
  headers: Record<string, string>;
}

export async function stubCalls(key: string, method?: string): Promise<StubCall[]> {
  const q = new URLSearchParams({ key, ...(method ? { method } : {}) });
  const res = await fetch(`${env.PLATFORM_STUB_URL}/__stub/calls?${q}`);
  return ((await res.json()) as { calls: StubCall[] }).calls;
}

export async function stubScript(key: string, method: string, answers: { status: number; body: unknown }[]) {
  await fetch(`${env.PLATFORM_STUB_URL}/__stub/script`, { method: "POST", body: JSON.stringify({ key, method, answers }) });
}

/** Polls until `check` returns a value (the queue works in the background); fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The channel's outbound messages once at least one exists and none is still queued. */
export async function settledOut(channelId: string): Promise<any[] | undefined> {
  const rows = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? AND m.sender <> 'user' ORDER BY m.seq").bind(channelId).all<any>();
  return rows.results.length && rows.results.every((m) => m.delivery_status !== "queued") ? rows.results : undefined;
}

export interface TelegramChannel {
  id: string;
  token: string;
  /** The secret_token we gave Telegram in setWebhook (read back from the stub). */
  secret: string;
  body: any;
}

export async function connectTelegram(s: Session, extra: Record<string, unknown> = {}): Promise<TelegramChannel> {
  const token = botToken();
  const res = await api("/api/v1/channels", {
    method: "POST",
    token: s.access_token,
    json: { channel_type: "telegram", channel_name: "Coach bot", configuration: { bot_token: token, ...extra } },
  });
  if (res.status !== 201) throw new Error(`telegram channel: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as any;
  const [hook] = await stubCalls(token, "setWebhook");
  return { id: body.id, token, secret: hook?.body?.secret_token, body };
}

export function telegramUpdate(updateId: number, message: Partial<typeof tgText.message> & Record<string, unknown> = {}, chatId = 521930114) {
  return {
    update_id: updateId,
    message: { ...tgText.message, chat: { ...tgText.message.chat, id: chatId }, from: { ...tgText.message.from, id: chatId }, message_id: updateId, ...message },
  };
}

export function postTelegram(update: unknown, secret: string | undefined, path = "/api/v1/channels/telegram/webhook") {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (secret !== undefined) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
  return api(path, { method: "POST", headers, body: JSON.stringify(update) });
}

export interface WhatsAppChannel {
  id: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  accessToken: string;
  body: any;
}

export async function connectWhatsApp(s: Session, overrides: Record<string, unknown> = {}): Promise<WhatsAppChannel> {
  const cfg = {
    phone_number: "+15550783881",
    phone_number_id: phoneNumberId(),
    business_account_id: "102290129340398",
    access_token: `EAAG${rand(40)}`,
    app_secret: rand(32, "0123456789abcdef"),
    webhook_verify_token: `verify-${rand(16)}`,
    ...overrides,
  };
  const res = await api("/api/v1/channels", { method: "POST", token: s.access_token, json: { channel_type: "whatsapp", channel_name: "WhatsApp Business", configuration: cfg } });
  if (res.status !== 201) throw new Error(`whatsapp channel: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as any;
  return { id: body.id, phoneNumberId: cfg.phone_number_id, appSecret: cfg.app_secret, verifyToken: cfg.webhook_verify_token, accessToken: cfg.access_token, body };
}

/** A fixture notification re-addressed to one of our test numbers (ids made unique per test). */
export function whatsappNotification<T>(fixture: T, phoneId: string, patch: (value: any) => void = () => {}): T {
  const copy = structuredClone(fixture) as any;
  for (const e of copy.entry) for (const c of e.changes) {
    c.value.metadata.phone_number_id = phoneId;
    patch(c.value);
  }
  return copy;
}

export async function sign(secret: string, raw: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(raw)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function postWhatsApp(raw: string, signature: string | undefined, path = "/api/v1/channels/whatsapp/webhook") {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (signature !== undefined) headers["X-Hub-Signature-256"] = signature;
  return api(path, { method: "POST", headers, body: raw });
}

/** Registers a file the platform stub serves: a Telegram file_id (getFile + download) or a WhatsApp media id. */
export async function stubMedia(platform: "telegram" | "whatsapp", id: string, bytes: Uint8Array, mimeType: string, fileName?: string) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const base64 = btoa(binary);
  const res = await fetch(`${env.PLATFORM_STUB_URL}/__stub/media`, { method: "POST", body: JSON.stringify({ platform, id, base64, mime_type: mimeType, file_name: fileName }) });
  if (!res.ok) throw new Error(`stub media: ${res.status}`);
}

/** Bytes with a real signature (files checks magic numbers), padded to `size`, ending with `tail` (the OpenAI stand-in transcribes "SPEECH:<words>"). */
export function mediaBytes(kind: "jpeg" | "ogg" | "pdf" | "mp3" | "mp4", tail = "", size = 2048): Uint8Array {
  const heads: Record<typeof kind, number[]> = {
    jpeg: [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00],
    ogg: [..."OggS"].map((c) => c.charCodeAt(0)).concat([0x00, 0x02]),
    pdf: [..."%PDF-1.4\n"].map((c) => c.charCodeAt(0)),
    mp3: [..."ID3"].map((c) => c.charCodeAt(0)).concat([0x04, 0x00, 0x00]),
    mp4: [0x00, 0x00, 0x00, 0x18, ..."ftypmp42".split("").map((c) => c.charCodeAt(0))],
  };
  const head = heads[kind];
  const end = new TextEncoder().encode(tail);
  const out = new Uint8Array(Math.max(size, head.length + end.length + 1));
  out.set(head, 0);
  for (let i = head.length; i < out.length - end.length; i++) out[i] = (i * 31 + 7) % 251 || 1;
  out.set(end, out.length - end.length);
  return out;
}
