// The media step of an inbound message (Telegram, WhatsApp): the photo, document, voice note, audio
// or video is fetched from the platform and stored as a conversation file; the message then carries
// it as an attachment. A transient failure retries the inbound job; on the last attempt (or a
// permanent failure: too large, refused type, unknown file) the message is kept and says so.
import { and, eq } from "drizzle-orm";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { messages } from "../../db/schema";
import type { Env } from "../../env";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import { attachmentsMetadata, listConversationFiles, storeConversationFile, type FileRecord } from "../files";
import { fetchTelegramMedia, fetchWhatsAppMedia, mediaWord, type FetchedMedia } from "./media";
import type { InboundMedia } from "./platform";
import { openSecrets } from "./secrets";
import type { ChannelRow } from "./store";
import { TelegramClient } from "./telegram";

export type ReceivedMedia =
  | { status: "stored"; file: FileRecord; metadata: ReturnType<typeof attachmentsMetadata> }
  /** The message was stored by an earlier attempt of this job: nothing to fetch again. */
  | { status: "known" }
  | { status: "failed"; reason: string };

/** A transient fetch failure before the last attempt: the queue delivers the job again. */
export class MediaRetry extends Error {}

const PLATFORM = { telegram: "Telegram", whatsapp: "WhatsApp" } as const;

/** What the stored message says of media that couldn't be fetched (with the caption, if any). */
export function failedMediaText(kind: "telegram" | "whatsapp", media: InboundMedia, reason: string, caption?: string): string {
  const note = `(The ${mediaWord(media.kind)} could not be fetched from ${PLATFORM[kind]}: ${reason}.)`;
  return caption ? `${caption}\n${note}` : note;
}

export async function receiveMedia(
  env: Env,
  channel: ChannelRow & { type: "telegram" | "whatsapp" },
  input: { creatorId: string; conversationId: string; endUserId: string; externalMessageId: string; media: InboundMedia },
  attempt: number,
): Promise<ReceivedMedia> {
  const t = tenant(env.DB, input.creatorId);
  // A redelivered job whose message is stored already (its attachment with it).
  const known = await t.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(t.where(messages, eq(messages.conversationId, input.conversationId)), eq(messages.clientMessageId, `in:${input.externalMessageId}`)))
    .get();
  if (known) return { status: "known" };

  const cfg = config(env);
  const max = cfg.files.maxFileBytes;
  const secrets = await openSecrets(env, channel.secrets);
  let fetched: FetchedMedia;
  if (channel.type === "telegram") {
    const token = secrets.bot_token ?? "";
    fetched = await fetchTelegramMedia(new TelegramClient(cfg.channels.telegramApiBaseUrl, token), cfg.channels.telegramApiBaseUrl, token, input.media, input.externalMessageId, max);
  } else {
    fetched = await fetchWhatsAppMedia(cfg.channels.whatsappApiBaseUrl, secrets.access_token ?? "", input.media, input.externalMessageId, max);
  }
  if (!fetched.ok) {
    log("warn", "channel media not fetched", { creator_id: input.creatorId, channel: channel.type, kind: input.media.kind, transient: fetched.transient, reason: fetched.reason, attempt });
    if (fetched.transient && attempt < cfg.channels.sendMaxAttempts) throw new MediaRetry(`media fetch failed: ${fetched.reason}`);
    return { status: "failed", reason: fetched.transient ? `${fetched.reason}, after ${attempt} attempts` : fetched.reason };
  }
  // An earlier attempt stored the file but not the message (it crashed in between): reuse that file.
  const earlier = (await listConversationFiles(env, input.creatorId, input.conversationId)).find(
    (f) => f.source === channel.type && f.name === fetched.fileName && f.size === fetched.bytes.byteLength,
  );
  let file: FileRecord;
  try {
    file =
      earlier ??
      (await storeConversationFile(env, {
        creatorId: input.creatorId,
        conversationId: input.conversationId,
        endUserId: input.endUserId,
        name: fetched.fileName,
        contentType: fetched.contentType,
        bytes: fetched.bytes,
        source: channel.type,
      }));
  } catch (err) {
    // Refused by the files service (too large, a type it doesn't keep): permanent, said in the message.
    if (err instanceof AppError && err.status < 500) return { status: "failed", reason: err.message.replace(/\.$/, "") };
    throw err;
  }
  return { status: "stored", file, metadata: attachmentsMetadata([file]) };
}
