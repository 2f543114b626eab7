// What a send to a platform can come to, and the normalized inbound events both adapters produce.

/** The outcome of one API call to send a message, classified for the retry rules. */
export type SendResult =
  | { kind: "ok"; externalMessageId: string }
  /** Retry after the platform's own delay (Telegram 429 retry_after) or our backoff. */
  | { kind: "rate_limited"; retryAfterSeconds?: number; detail: string }
  /** 5xx, network errors: exponential backoff, bounded. */
  | { kind: "transient"; detail: string }
  /** Never retried: blocked, outside the window, bad request. `blocked` marks the end user unreachable. */
  | { kind: "permanent"; reason: string; detail: string; blocked?: boolean };

export interface InboundUser {
  externalId: string;
  name?: string;
  language?: string;
}

/** A photo, document, voice note, audio file or video attached to an inbound message: fetched by the job. */
export interface InboundMedia {
  /** voice: a recorded voice note (Telegram voice, WhatsApp audio with voice: true); audio: a music/audio file. */
  kind: "photo" | "document" | "voice" | "audio" | "video";
  /** The platform's handle: Telegram file_id, WhatsApp media id. */
  ref: string;
  mimeType?: string;
  fileName?: string;
  /** As the platform declares it (checked again on the bytes). */
  size?: number;
}

/** One platform event, as the queue carries it. */
export type InboundEvent =
  | {
      kind: "message";
      /** Unique per chat: Telegram message_id, WhatsApp wamid. */
      externalMessageId: string;
      user: InboundUser;
      /** Text, or undefined for voice/photo/sticker/location/document… */
      text?: string;
      /** "voice", "photo", "image", "sticker", "location", "document", … when not text. */
      mediaType?: string;
      /** The file to fetch, for the media we store (not stickers, locations, contacts…). */
      media?: InboundMedia;
      caption?: string;
      command?: "start";
      sentAt?: string;
    }
  | { kind: "edited"; externalMessageId: string; user: InboundUser; text: string; editedAt?: string }
  | { kind: "status"; externalMessageId: string; status: "sent" | "delivered" | "read" | "failed"; recipientId?: string; error?: string; at?: string }
  | { kind: "membership"; user: InboundUser; status: string }
  /** A rating button pressed (Telegram inline keyboard callback_query, WhatsApp reply button `rate:<1-5>`). */
  | { kind: "rating"; user: InboundUser; score: number; /** Telegram: the press to answer (answerCallbackQuery). */ callbackQueryId?: string };

/** The payload of a rating button: `rate:<1-5>` (callback_data on Telegram, the reply id on WhatsApp). */
export function ratingScore(payload: string | undefined): number | null {
  const m = /^rate:([1-5])$/.exec(payload ?? "");
  return m ? Number(m[1]) : null;
}

export interface KeyedEvent {
  /** De-duplication key within the channel (update_id, message id, status id + status). */
  key: string;
  event: InboundEvent;
}

export const isoFromEpoch = (seconds: number | string | undefined): string | undefined => {
  const n = Number(seconds);
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString() : undefined;
};
