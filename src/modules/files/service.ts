// Files in conversations: the bytes in R2 under the conversation's prefix, a row in D1 for listing,
// attachments on messages. Every channel stores its files here (uploads, the widget, Telegram,
// WhatsApp, email), so erasure and export find them in one place.
import { asc, eq, inArray } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversationR2Prefix } from "../../db/ownership";
import { conversationFiles, conversations, type FileSource } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { AppError, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { releaseGauge, reserveGauge } from "../plans";
import { creators } from "../../db/schema";
import { detectContentType, safeFileName } from "./file-types";

type FileRow = typeof conversationFiles.$inferSelect;

export interface FileRecord {
  id: string;
  conversation_id: string;
  name: string;
  content_type: string;
  size: number;
  source: FileSource;
  end_user_id: string | null;
  uploaded_by: string | null;
  created_at: string;
  /** Relative to the API's base URL; the member's bearer token or the visitor's widget token reads it. */
  download_url: string;
}

/** What a message carries of each attached file (in the object's log and the D1 mirror: message metadata). */
export interface AttachmentMeta {
  id: string;
  name: string;
  content_type: string;
  size: number;
  url: string;
}

export interface StoreFileInput {
  creatorId: string;
  conversationId: string;
  /** The end user who sent it (widget, channels); absent for members' uploads. */
  endUserId?: string | null;
  name: string;
  /** What the sender declared; the stored type is decided from the bytes (./file-types.ts). */
  contentType?: string;
  bytes: Uint8Array;
  source: FileSource;
  /** The member who uploaded it. */
  uploadedBy?: string | null;
}

export const fileKey = (creatorId: string, conversationId: string, fileId: string) => `${conversationR2Prefix(creatorId, conversationId)}files/${fileId}`;
export const downloadPath = (conversationId: string, fileId: string) => `/api/v1/conversations/${conversationId}/files/${fileId}`;

export function presentFile(r: FileRow): FileRecord {
  return {
    id: r.id,
    conversation_id: r.conversationId,
    name: r.name,
    content_type: r.contentType,
    size: r.sizeBytes,
    source: r.source,
    end_user_id: r.endUserId,
    uploaded_by: r.uploadedBy,
    created_at: r.createdAt,
    download_url: downloadPath(r.conversationId, r.id),
  };
}

export function toAttachment(f: Pick<FileRecord, "id" | "name" | "content_type" | "size" | "download_url">): AttachmentMeta {
  return { id: f.id, name: f.name, content_type: f.content_type, size: f.size, url: f.download_url };
}

/** Message metadata for files attached to a message (channel adapters pass it to the object's ingest/post). */
export function attachmentsMetadata(files: FileRecord[]): { attachments: AttachmentMeta[] } {
  return { attachments: files.map(toAttachment) };
}

/** The conversation within the creator's tenancy (404 otherwise): its end user and channel. */
export async function conversationOf(env: Env, creatorId: string, conversationId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .select({ id: conversations.id, endUserId: conversations.endUserId, channel: conversations.channel, status: conversations.status })
    .from(conversations)
    .where(t.where(conversations, eq(conversations.id, conversationId)))
    .get();
  if (!row) throw notFound("Conversation");
  return row;
}

/** Checks the size and the type from the bytes (413, 415) before anything is stored. */
export function checkFile(env: Env, input: Pick<StoreFileInput, "bytes" | "name" | "contentType">): { name: string; contentType: string } {
  const cfg = config(env).files;
  if (input.bytes.byteLength > cfg.maxFileBytes) throw new AppError("PAYLOAD_TOO_LARGE", `Files are limited to ${cfg.maxFileBytes} bytes`);
  const name = safeFileName(input.name);
  const { contentType } = detectContentType(input.bytes, name, input.contentType, cfg.allowedTypes);
  return { name, contentType };
}

/**
 * Stores one file of a conversation: 404 for a conversation of another creator, 413 over the size
 * limit, 415 for active content, a forged type or a type outside CONVERSATION_FILE_TYPES. The bytes
 * go to R2 first, so a row never points at nothing; a failed row removes them again.
 */
export async function storeConversationFile(env: Env, input: StoreFileInput): Promise<FileRecord> {
  const checked = checkFile(env, input);
  await conversationOf(env, input.creatorId, input.conversationId);
  const id = newId();
  const key = fileKey(input.creatorId, input.conversationId, id);
  await env.FILES.put(key, input.bytes, {
    httpMetadata: { contentType: checked.contentType },
    customMetadata: { filename: checked.name, conversation_id: input.conversationId },
  });
  const t = tenant(env.DB, input.creatorId);
  try {
    const row = await t.db
      .insert(conversationFiles)
      .values({
        id,
        creatorId: input.creatorId,
        conversationId: input.conversationId,
        endUserId: input.endUserId ?? null,
        name: checked.name,
        contentType: checked.contentType,
        sizeBytes: input.bytes.byteLength,
        r2Key: key,
        source: input.source,
        uploadedBy: input.uploadedBy ?? null,
      })
      .returning()
      .get();
    return presentFile(row);
  } catch (err) {
    await env.FILES.delete(key).catch(() => undefined);
    throw err;
  }
}

/**
 * Several files of one request: every one is checked before any is stored, so a bad file (413, 415)
 * leaves nothing behind. `visitor`: the widget's uploads count against the creator's storage gauge
 * here (members' uploads are checked by the plan middleware before the body is read).
 */
export async function storeConversationFiles(env: Env, inputs: StoreFileInput[], opts: { visitor?: boolean } = {}): Promise<FileRecord[]> {
  inputs.forEach((input, i) => {
    try {
      checkFile(env, input);
    } catch (err) {
      if (err instanceof AppError && inputs.length > 1) {
        throw new AppError(err.code, `${input.name || `file ${i + 1}`}: ${err.message}`, [{ field: `files[${i}]`, message: err.message }]);
      }
      throw err;
    }
  });
  const first = inputs[0];
  if (!first) return [];
  await conversationOf(env, first.creatorId, first.conversationId);
  // A member's upload reserved its storage in the plan middleware (the route's meter); a visitor has no
  // account there, so theirs is reserved here, held until the files are stored or have failed.
  let reservation: string | null = null;
  if (opts.visitor) {
    const creator = await getDbCreator(env, first.creatorId);
    reservation = await reserveGauge(env, first.creatorId, creator.subscriptionTier, "storage_bytes", inputs.reduce((n, f) => n + f.bytes.byteLength, 0));
  }
  try {
    const stored: FileRecord[] = [];
    for (const input of inputs) stored.push(await storeConversationFile(env, input));
    return stored;
  } finally {
    if (reservation) await releaseGauge(env, first.creatorId, reservation);
  }
}

async function getDbCreator(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ subscriptionTier: creators.subscriptionTier }).from(creators).where(eq(creators.id, creatorId)).get();
  if (!row) throw notFound("Conversation");
  return row;
}

async function fileRow(env: Env, creatorId: string, conversationId: string, fileId: string): Promise<FileRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .select()
    .from(conversationFiles)
    .where(t.where(conversationFiles, eq(conversationFiles.conversationId, conversationId), eq(conversationFiles.id, fileId)))
    .get();
  if (!row) throw notFound("File");
  return row;
}

/** One file's record and bytes; 404 when it is not a file of this conversation of this creator. */
export async function getConversationFile(env: Env, creatorId: string, conversationId: string, fileId: string): Promise<{ record: FileRecord; body: ReadableStream }> {
  const row = await fileRow(env, creatorId, conversationId, fileId);
  const object = await env.FILES.get(row.r2Key);
  if (!object) throw notFound("File");
  return { record: presentFile(row), body: object.body };
}

/** The conversation's files, oldest first (404 for a conversation of another creator). */
export async function listConversationFiles(env: Env, creatorId: string, conversationId: string): Promise<FileRecord[]> {
  await conversationOf(env, creatorId, conversationId);
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(conversationFiles)
    .where(t.where(conversationFiles, eq(conversationFiles.conversationId, conversationId)))
    .orderBy(asc(conversationFiles.createdAt), asc(conversationFiles.id))
    .all();
  return rows.map(presentFile);
}

/**
 * Deletes one file (row and bytes). `onlyEndUser`: a visitor deletes only what they sent.
 * Messages that carried it keep its name; its download answers 404 from now on.
 */
export async function deleteConversationFile(env: Env, creatorId: string, conversationId: string, fileId: string, onlyEndUser?: string): Promise<void> {
  const row = await fileRow(env, creatorId, conversationId, fileId);
  if (onlyEndUser !== undefined && (row.endUserId !== onlyEndUser || row.uploadedBy !== null)) throw notFound("File");
  const t = tenant(env.DB, creatorId);
  await t.db.delete(conversationFiles).where(t.where(conversationFiles, eq(conversationFiles.id, fileId))).run();
  await env.FILES.delete(row.r2Key);
}

/** Every file of a conversation (rows and everything under its R2 prefix): the conversation is being deleted. */
export async function deleteConversationFiles(env: Env, creatorId: string, conversationId: string): Promise<number> {
  const t = tenant(env.DB, creatorId);
  await t.db.delete(conversationFiles).where(t.where(conversationFiles, eq(conversationFiles.conversationId, conversationId))).run();
  let removed = 0;
  for (;;) {
    const list = await env.FILES.list({ prefix: conversationR2Prefix(creatorId, conversationId), limit: 1000 });
    if (!list.objects.length) break;
    await env.FILES.delete(list.objects.map((o) => o.key));
    removed += list.objects.length;
  }
  return removed;
}

/**
 * Attachment ids of a message, resolved within the conversation: every id must be a file of this
 * conversation of this creator (422 naming the first that isn't), duplicates are dropped.
 */
export async function resolveAttachments(env: Env, creatorId: string, conversationId: string, ids: readonly string[]): Promise<AttachmentMeta[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(conversationFiles)
    .where(t.where(conversationFiles, eq(conversationFiles.conversationId, conversationId), inArray(conversationFiles.id, unique)))
    .all();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = unique.find((id) => !byId.has(id));
  if (missing) {
    throw new AppError("VALIDATION_ERROR", "Attachments must be files of this conversation", [
      { field: "attachments", message: `${missing} is not a file of this conversation` },
    ]);
  }
  return unique.map((id) => toAttachment(presentFile(byId.get(id)!)));
}
