// Telegram Bot API adapter: the calls we make (getMe, setWebhook, deleteWebhook, sendMessage), the
// Update schema we accept and its normalization into inbound events.
import { z } from "@hono/zod-openapi";
import { isoFromEpoch, ratingScore, type InboundEvent, type InboundMedia, type KeyedEvent, type SendResult } from "./platform";

/** `<bot id>:<35-ish url-safe chars>` as BotFather issues it. */
export const TELEGRAM_TOKEN = /^\d{5,15}:[A-Za-z0-9_-]{30,60}$/;

interface BotApiAnswer<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface BotInfo {
  id: number;
  username?: string;
  first_name?: string;
}

export class TelegramClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Network failures become `{ ok: false, error_code: 0 }` so callers classify them as transient. */
  /** JSON, or multipart (a FormData: media sends upload their file). */
  async call<T>(method: string, body?: Record<string, unknown> | FormData): Promise<{ status: number; answer: BotApiAnswer<T> }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/bot${this.token}/${method}`, {
        method: "POST",
        ...(body instanceof FormData ? { body } : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}) }),
      });
    } catch (err) {
      // The token is part of the URL: never let it into a description that is stored or shown.
      const reason = String((err as Error).message).replaceAll(this.token, "<token>");
      return { status: 0, answer: { ok: false, error_code: 0, description: `Telegram API unreachable: ${reason}` } };
    }
    let answer: BotApiAnswer<T>;
    try {
      answer = (await res.json()) as BotApiAnswer<T>;
    } catch {
      answer = { ok: false, error_code: res.status, description: `Telegram API answered ${res.status} without JSON` };
    }
    return { status: res.status, answer };
  }

  getMe() {
    return this.call<BotInfo>("getMe");
  }

  setWebhook(url: string, secretToken: string) {
    return this.call<boolean>("setWebhook", {
      url,
      secret_token: secretToken,
      allowed_updates: ["message", "edited_message", "my_chat_member", "callback_query"],
    });
  }

  /** Ends the button's loading state in the user's app, with a short notice (Telegram expects it for every press). */
  answerCallbackQuery(callbackQueryId: string, text: string) {
    return this.call<boolean>("answerCallbackQuery", { callback_query_id: callbackQueryId, text });
  }

  deleteWebhook() {
    return this.call<boolean>("deleteWebhook", { drop_pending_updates: false });
  }

  /** `extra`: further sendMessage fields (the rating prompt's inline keyboard `reply_markup`). */
  async sendMessage(chatId: string, text: string, extra: Record<string, unknown> = {}): Promise<SendResult> {
    const { status, answer } = await this.call<{ message_id: number }>("sendMessage", { chat_id: chatId, text, ...extra });
    return classifyTelegram(status, answer);
  }
}

/** A send's Bot API answer, classified for the retry rules (text and media sends alike). */
export function classifyTelegram(status: number, answer: BotApiAnswer<{ message_id: number }>): SendResult {
  if (answer.ok && answer.result) return { kind: "ok", externalMessageId: String(answer.result.message_id) };
  const code = answer.error_code || status;
  const detail = answer.description ?? `HTTP ${status}`;
  if (code === 429) return { kind: "rate_limited", retryAfterSeconds: answer.parameters?.retry_after, detail };
  if (code === 0 || code >= 500) return { kind: "transient", detail };
  // 403: the bot was blocked, kicked, or the user is deactivated — nobody is listening any more.
  if (code === 403) return { kind: "permanent", reason: "blocked", detail, blocked: true };
  return { kind: "permanent", reason: code === 400 ? "rejected" : `http_${code}`, detail };
}

const User = z.object({ id: z.number(), is_bot: z.boolean().optional(), first_name: z.string().optional(), last_name: z.string().optional(), language_code: z.string().optional() }).passthrough();
const Chat = z.object({ id: z.number(), type: z.string(), first_name: z.string().optional(), last_name: z.string().optional(), title: z.string().optional() }).passthrough();
const FileRef = z.object({ file_id: z.string().min(1).max(300), file_size: z.number().optional(), mime_type: z.string().max(200).optional(), file_name: z.string().max(500).optional() }).passthrough();
const Message = z
  .object({
    message_id: z.number(),
    from: User.optional(),
    chat: Chat,
    date: z.number(),
    edit_date: z.number().optional(),
    text: z.string().optional(),
    caption: z.string().optional(),
    // Media we fetch and store (Bot API: PhotoSize[], Document, Voice, Audio, Video, VideoNote, Animation).
    photo: z.array(FileRef).optional(),
    document: FileRef.optional(),
    voice: FileRef.optional(),
    audio: FileRef.optional(),
    video: FileRef.optional(),
    video_note: FileRef.optional(),
    animation: FileRef.optional(),
  })
  .passthrough();

/** Only what we read is checked; Telegram adds fields over time and those pass through. */
export const TelegramUpdate = z
  .object({
    update_id: z.number().int(),
    message: Message.optional(),
    edited_message: Message.optional(),
    my_chat_member: z
      .object({ chat: Chat, from: User, date: z.number(), new_chat_member: z.object({ status: z.string() }).passthrough() })
      .passthrough()
      .optional(),
    callback_query: z.object({ id: z.string(), from: User, message: Message.optional(), data: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type TelegramUpdate = z.infer<typeof TelegramUpdate>;

const MEDIA = ["voice", "audio", "photo", "video", "video_note", "sticker", "animation", "document", "location", "venue", "contact", "poll", "dice"] as const;

/** The file of a media message, if it is one we store. Photos come in several sizes: the largest is taken. */
export function telegramMedia(m: z.infer<typeof Message>): InboundMedia | undefined {
  const of = (kind: InboundMedia["kind"], f: z.infer<typeof FileRef> | undefined, mimeType?: string): InboundMedia | undefined =>
    f && { kind, ref: f.file_id, ...((f.mime_type ?? mimeType) && { mimeType: f.mime_type ?? mimeType }), ...(f.file_name && { fileName: f.file_name }), ...(f.file_size && { size: f.file_size }) };
  if (m.photo?.length) return of("photo", [...m.photo].sort((a, b) => (a.file_size ?? 0) - (b.file_size ?? 0)).at(-1), "image/jpeg");
  return (
    of("voice", m.voice, "audio/ogg") ??
    of("audio", m.audio, "audio/mpeg") ??
    of("video", m.video, "video/mp4") ??
    of("video", m.video_note, "video/mp4") ??
    of("video", m.animation, "video/mp4") ??
    of("document", m.document, "application/octet-stream")
  );
}

function userOf(chat: z.infer<typeof Chat>, from?: z.infer<typeof User>) {
  // The conversation is the chat: in a private chat its id is the user's id.
  const name = [chat.first_name ?? from?.first_name, chat.last_name ?? from?.last_name].filter(Boolean).join(" ") || chat.title;
  return { externalId: String(chat.id), name: name || undefined, language: from?.language_code };
}

export function telegramEvents(update: TelegramUpdate): KeyedEvent[] {
  const key = `update:${update.update_id}`;
  let event: InboundEvent | undefined;
  if (update.message) {
    const m = update.message;
    const user = userOf(m.chat, m.from);
    if (typeof m.text === "string") {
      const isStart = /^\/start(@\w+)?(\s|$)/.test(m.text);
      event = { kind: "message", externalMessageId: String(m.message_id), user, text: m.text, command: isStart ? "start" : undefined, sentAt: isoFromEpoch(m.date) };
    } else {
      const mediaType = MEDIA.find((k) => k in m) ?? "unsupported";
      const media = telegramMedia(m);
      event = { kind: "message", externalMessageId: String(m.message_id), user, mediaType, ...(media && { media }), caption: m.caption, sentAt: isoFromEpoch(m.date) };
    }
  } else if (update.edited_message) {
    const m = update.edited_message;
    event = { kind: "edited", externalMessageId: String(m.message_id), user: userOf(m.chat, m.from), text: m.text ?? m.caption ?? "", editedAt: isoFromEpoch(m.edit_date) };
  } else if (update.my_chat_member) {
    const u = update.my_chat_member;
    event = { kind: "membership", user: userOf(u.chat, u.from), status: u.new_chat_member.status };
  } else if (update.callback_query) {
    // An inline keyboard button: only rating buttons are ours; the chat is the conversation.
    const q = update.callback_query;
    const score = ratingScore(q.data);
    const chat = q.message?.chat ?? { id: q.from.id, type: "private", first_name: q.from.first_name, last_name: q.from.last_name };
    if (score !== null) event = { kind: "rating", user: userOf(chat, q.from), score, callbackQueryId: q.id };
  }
  return event ? [{ key, event }] : [];
}
