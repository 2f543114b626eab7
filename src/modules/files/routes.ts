// Routes of files in conversations: upload (multipart), list, download, delete — under
// /api/v1/conversations/{id}/files and the chat spec's aliases under /api/v1/chat/{chat_id}. Members
// use their bearer token or an API key; a widget visitor uses their widget token, for their own
// conversation only.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppBindings } from "../../env";
import { config } from "../../config";
import { AppError, forbidden, invalid, notFound, unauthenticated } from "../../lib/errors";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonContent } from "../../lib/schemas";
import { readBodyLimited } from "../../middleware/json-body";
import { verifyLiveWidgetToken } from "../widget";
import { contentDisposition, servesInline } from "./file-types";
import { ChatFileParams, FileListSchema, FileParams, OneChatFileParams, OneFileParams } from "./schemas";
import * as service from "./service";

const tags = ["Conversation files"];
const security = [{ bearerAuth: [] }];

const uploadDoc = {
  summary: "Upload files to a conversation: multipart `files` (repeatable) or `file`; members (conversations permission) or the visitor's widget token",
  description:
    "Multipart body: one or more `files` parts (or `file`), each at most CONVERSATION_FILE_MAX_BYTES, at most CONVERSATION_FILES_PER_UPLOAD of them. " +
    "Each file is checked from its bytes (magic numbers): a declared type the bytes contradict, active content (HTML, SVG, scripts) and types outside CONVERSATION_FILE_TYPES answer 415; a file over CONVERSATION_FILE_MAX_BYTES 413. Nothing is stored unless every file is accepted.",
};
const listDoc = { summary: "Files of a conversation, oldest first" };
const getDoc = { summary: "Download a file: its checked content type, Content-Disposition with a safe name, nosniff (active content is never served)" };
const deleteDoc = { summary: "Delete a file (a visitor only what they uploaded); messages that carried it keep its name" };

const uploadResponses = { 201: jsonContent(FileListSchema, "Stored"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) };
const listResponses = { 200: jsonContent(FileListSchema, "Files"), ...errorResponses(401, 403, 404, 422, 429) };
const getResponses = { 200: { description: "The file's bytes" }, ...errorResponses(401, 403, 404, 422, 429) };
const deleteResponses = { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404, 422, 429) };

const upload = createRoute({ method: "post", path: "/api/v1/conversations/{conversation_id}/files", tags, security, ...uploadDoc, request: { params: FileParams }, responses: uploadResponses });
const list = createRoute({ method: "get", path: "/api/v1/conversations/{conversation_id}/files", tags, security, ...listDoc, request: { params: FileParams }, responses: listResponses });
const download = createRoute({ method: "get", path: "/api/v1/conversations/{conversation_id}/files/{file_id}", tags, security, ...getDoc, request: { params: OneFileParams }, responses: getResponses });
const remove = createRoute({ method: "delete", path: "/api/v1/conversations/{conversation_id}/files/{file_id}", tags, security, ...deleteDoc, request: { params: OneFileParams }, responses: deleteResponses });

const chatTags = ["Chat (ai-chat-app paths)"];
const chatUpload = createRoute({ method: "post", path: "/api/v1/chat/{chat_id}/upload", tags: chatTags, security, ...uploadDoc, request: { params: ChatFileParams }, responses: uploadResponses });
const chatList = createRoute({ method: "get", path: "/api/v1/chat/{chat_id}/files", tags: chatTags, security, ...listDoc, request: { params: ChatFileParams }, responses: listResponses });
const chatDownload = createRoute({ method: "get", path: "/api/v1/chat/{chat_id}/files/{file_id}", tags: chatTags, security, ...getDoc, request: { params: OneChatFileParams }, responses: getResponses });
const chatRemove = createRoute({ method: "delete", path: "/api/v1/chat/{chat_id}/files/{file_id}", tags: chatTags, security, ...deleteDoc, request: { params: OneChatFileParams }, responses: deleteResponses });

/** Who is asking, within which creator: a member (or API key) with `need`, or the visitor of this very conversation. */
interface Caller {
  creatorId: string;
  memberId?: string;
  /** Set for a widget visitor: the end user of the conversation their token names. */
  endUserId?: string;
}

async function callerOf(c: Context<AppBindings>, conversationId: string, need: "read" | "conversations"): Promise<Caller> {
  const claims = c.get("auth");
  if (claims) {
    if (!claims.permissions.includes(need)) throw forbidden(`This action needs the '${need}' permission`);
    return { creatorId: claims.creator_id, memberId: claims.sub };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
  if (!match) throw unauthenticated();
  // Not a member's token: a live widget token (signature, audience, session open, epoch current).
  const widget = await verifyLiveWidgetToken(c.env, match[1]!);
  // Another conversation of the same creator (or another creator's) is not the visitor's to see.
  if (widget.conversation_id !== conversationId) throw notFound("Conversation");
  return { creatorId: widget.creator_id, endUserId: widget.sub };
}

/** The multipart body through the one body reader (size limited while read), then its file parts. */
async function readFiles(c: Context<AppBindings>): Promise<{ name: string; contentType: string; bytes: Uint8Array }[]> {
  const cfg = config(c.env).files;
  const type = c.req.header("Content-Type") ?? "";
  if (!/^multipart\/form-data/i.test(type)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Uploads are multipart/form-data with one or more 'files' parts");
  const body = await readBodyLimited(c.req.raw, Math.max(cfg.maxUploadBytes, cfg.maxFileBytes + 64 * 1024));
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "Content-Type": type } }).formData();
  } catch {
    throw new AppError("MALFORMED_REQUEST", "The multipart body could not be parsed");
  }
  const parts = [...form.getAll("files"), ...form.getAll("file")].filter((f): f is File => typeof f !== "string");
  if (!parts.length) throw invalid([{ field: "files", message: "At least one file is required" }]);
  if (parts.length > cfg.maxFilesPerUpload) throw invalid([{ field: "files", message: `At most ${cfg.maxFilesPerUpload} files a request` }]);
  const big = parts.find((f) => f.size > cfg.maxFileBytes);
  if (big) throw new AppError("PAYLOAD_TOO_LARGE", `Files are limited to ${cfg.maxFileBytes} bytes`, [{ field: "files", message: `${big.name}: ${big.size} bytes` }]);
  return Promise.all(parts.map(async (f) => ({ name: f.name, contentType: f.type, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

async function handleUpload(c: Context<AppBindings>, conversationId: string) {
  const who = await callerOf(c, conversationId, "conversations");
  const parts = await readFiles(c);
  const conversation = await service.conversationOf(c.env, who.creatorId, conversationId);
  const files = await service.storeConversationFiles(
    c.env,
    parts.map((p) => ({
      creatorId: who.creatorId,
      conversationId,
      // A visitor's file is theirs; a member's file in an end user's conversation is still about them (erasure follows the conversation).
      endUserId: who.endUserId ?? null,
      name: p.name,
      contentType: p.contentType,
      bytes: p.bytes,
      source: who.endUserId ? ("widget" as const) : conversation.channel === "api" ? ("api" as const) : ("upload" as const),
      uploadedBy: who.memberId ?? null,
    })),
    { visitor: !!who.endUserId },
  );
  return c.json({ files }, 201);
}

async function handleList(c: Context<AppBindings>, conversationId: string) {
  const who = await callerOf(c, conversationId, "read");
  return c.json({ files: await service.listConversationFiles(c.env, who.creatorId, conversationId) }, 200);
}

async function handleDownload(c: Context<AppBindings>, conversationId: string, fileId: string) {
  const who = await callerOf(c, conversationId, "read");
  const { record, body } = await service.getConversationFile(c.env, who.creatorId, conversationId, fileId);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": record.content_type,
      "Content-Length": String(record.size),
      // Images, audio and video show inline; everything else (PDFs included: their viewers run scripts) downloads.
      "Content-Disposition": contentDisposition(servesInline(record.content_type) ? "inline" : "attachment", record.name),
      "X-Content-Type-Options": "nosniff",
      // Even opened directly, the response can run nothing and reach nothing.
      "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
      "Cache-Control": "private, no-store",
      "X-Request-ID": c.get("requestId") ?? "",
    },
  });
}

async function handleDelete(c: Context<AppBindings>, conversationId: string, fileId: string) {
  const who = await callerOf(c, conversationId, "conversations");
  await service.deleteConversationFile(c.env, who.creatorId, conversationId, fileId, who.endUserId);
  return c.body(null, 204);
}

// Multipart uploads: the per-minute upload limit and the creator's hourly upload quota; they read their own bodies.
for (const r of [upload, chatUpload]) withPolicy(r, { rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: { counts: ["uploads"], gauge: "storage_bytes" } });

export const filesRouter = createRouter({ rateLimit: "default", reads: "replica", meter: "api" })
  .openapi(upload, (c) => handleUpload(c, c.req.valid("param").conversation_id) as never)
  .openapi(list, (c) => handleList(c, c.req.valid("param").conversation_id) as never)
  .openapi(download, (c) => handleDownload(c, c.req.valid("param").conversation_id, c.req.valid("param").file_id) as never)
  .openapi(remove, (c) => handleDelete(c, c.req.valid("param").conversation_id, c.req.valid("param").file_id) as never)
  .openapi(chatUpload, (c) => handleUpload(c, c.req.valid("param").chat_id) as never)
  .openapi(chatList, (c) => handleList(c, c.req.valid("param").chat_id) as never)
  .openapi(chatDownload, (c) => handleDownload(c, c.req.valid("param").chat_id, c.req.valid("param").file_id) as never)
  .openapi(chatRemove, (c) => handleDelete(c, c.req.valid("param").chat_id, c.req.valid("param").file_id) as never);
