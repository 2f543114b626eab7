// Routes of the knowledge module: /api/v1/knowledge-bases and their documents (creator-hub spec).
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import * as docs from "./documents";
import * as kbs from "./knowledge-bases";
import {
  BatchUploadResultSchema,
  CreateKbBody,
  DocumentDetailSchema,
  DocumentListSchema,
  DocumentSchema,
  KnowledgeBaseSchema,
  ListDocumentsQuery,
  MessageSchema,
  UpdateDocumentBody,
  UpdateKbBody,
} from "./schemas";
import { readBatchUpload, readUpload } from "./upload-form";
import { uploadDocument, uploadDocuments } from "./uploads";

const tags = ["Knowledge"];
const security = [{ bearerAuth: [] }];
const KbParams = z.object({ knowledge_base_id: UuidParam("knowledge_base_id") });
const DocParams = KbParams.extend({ document_id: UuidParam("document_id") });

const createKb = createRoute({
  method: "post", path: "/api/v1/knowledge-bases", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Create a knowledge base (chunk_size, chunk_overlap, embedding_model)",
  request: { body: jsonBody(CreateKbBody) },
  responses: { 201: jsonContent(KnowledgeBaseSchema, "Created"), ...errorResponses(400, 401, 403, 422, 429) },
});
const listKb = createRoute({
  method: "get", path: "/api/v1/knowledge-bases", tags, security, middleware: [requireAuth({ permission: "read" })] as const, summary: "List knowledge bases",
  responses: { 200: jsonContent(z.object({ knowledge_bases: z.array(KnowledgeBaseSchema), total: z.number().int() }), "Knowledge bases"), ...errorResponses(401, 429) },
});
const getKb = createRoute({
  method: "get", path: "/api/v1/knowledge-bases/{knowledge_base_id}", tags, security, middleware: [requireAuth({ permission: "read" })] as const, summary: "Get a knowledge base",
  request: { params: KbParams },
  responses: { 200: jsonContent(KnowledgeBaseSchema, "Knowledge base"), ...errorResponses(401, 404, 422, 429) },
});
const updateKb = createRoute({
  method: "put", path: "/api/v1/knowledge-bases/{knowledge_base_id}", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Update name, description or settings (new chunk settings apply to uploads and reprocessing from now on)",
  request: { params: KbParams, body: jsonBody(UpdateKbBody) },
  responses: { 200: jsonContent(KnowledgeBaseSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});
const deleteKb = createRoute({
  method: "delete", path: "/api/v1/knowledge-bases/{knowledge_base_id}", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Delete a knowledge base with all its documents, chunks and vectors",
  request: { params: KbParams },
  responses: { 200: jsonContent(MessageSchema, "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});
const upload = createRoute({
  method: "post", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Upload a document: multipart file (.txt .md .html .pdf .docx .csv .json, 25 MB), title, metadata (JSON object); ingestion runs on the queue",
  // The multipart body is read by readUpload (size checked before parsing), not by a validator.
  request: { params: KbParams },
  responses: { 202: jsonContent(DocumentSchema, "Accepted: processing_status pending"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});
const uploadBatch = createRoute({
  method: "post", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents/batch", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Upload several documents in one request: repeated multipart `file` parts (up to 100, 32 MB in all) and an optional `metadata` JSON object for each",
  description:
    "Each file is checked as a single upload would be. Good files become documents (processing_status pending); a bad file gets its own entry in `errors` (with the code a single upload would answer) and doesn't stop the others. 422 when no file is accepted.",
  request: { params: KbParams },
  responses: { 202: jsonContent(BatchUploadResultSchema, "Accepted (possibly with per-file errors)"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});
const listDocs = createRoute({
  method: "get", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents", tags, security, middleware: [requireAuth({ permission: "read" })] as const,
  summary: "List documents (page, limit ≤ 100, status, search in titles)",
  request: { params: KbParams, query: ListDocumentsQuery },
  responses: { 200: jsonContent(DocumentListSchema, "Documents"), ...errorResponses(401, 404, 422, 429) },
});
const getDoc = createRoute({
  method: "get", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}", tags, security, middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Document with its extracted content and chunks", request: { params: DocParams },
  responses: { 200: jsonContent(DocumentDetailSchema, "Document"), ...errorResponses(401, 404, 422, 429) },
});
const updateDoc = createRoute({
  method: "put", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Update title and metadata", request: { params: DocParams, body: jsonBody(UpdateDocumentBody) },
  // The document as GET shows it, so that representation can be sent back (its read-only fields ignored).
  responses: { 200: jsonContent(DocumentDetailSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});
const deleteDoc = createRoute({
  method: "delete", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Delete a document with its file, chunks, FTS rows and vectors", request: { params: DocParams },
  responses: { 200: jsonContent(MessageSchema, "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});
const reprocessDoc = createRoute({
  method: "post", path: "/api/v1/knowledge-bases/{knowledge_base_id}/documents/{document_id}/reprocess", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Rebuild the chunks and vectors from the stored original (old ones are removed)", request: { params: DocParams },
  responses: { 202: jsonContent(DocumentSchema, "Accepted"), ...errorResponses(401, 403, 404, 422, 429) },
});

// Multipart uploads: the per-minute upload limit and the hourly upload quota; they read their own bodies.
for (const r of [upload, uploadBatch]) withPolicy(r, { rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: { counts: ["uploads"], gauge: "storage_bytes" } });
// A new knowledge base holds a slot of the plan's knowledge_bases gauge until it exists (or failed).
withPolicy(createKb, { rateLimit: "default", meter: { gauge: "knowledge_bases" } });

export const knowledgeRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(createKb, async (c) => c.json(await kbs.createKnowledgeBase(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(listKb, async (c) => c.json(await kbs.listKnowledgeBases(c.env, c.get("creatorId")!), 200))
  .openapi(getKb, async (c) => c.json(await kbs.getKnowledgeBase(c.env, c.get("creatorId")!, c.req.valid("param").knowledge_base_id), 200))
  .openapi(updateKb, async (c) =>
    c.json(await kbs.updateKnowledgeBase(c.env, c.get("creatorId")!, c.req.valid("param").knowledge_base_id, c.req.valid("json")), 200),
  )
  .openapi(deleteKb, async (c) => c.json(await kbs.deleteKnowledgeBase(c.env, c.get("creatorId")!, c.req.valid("param").knowledge_base_id), 200))
  .openapi(upload, async (c) => {
    const { knowledge_base_id } = c.req.valid("param");
    // The base must exist before the body is read (404 beats 413/415 for someone else's base).
    const kb = await kbs.findKnowledgeBase(c.env, c.get("creatorId")!, knowledge_base_id);
    const input = await readUpload(c);
    return c.json(await uploadDocument(c.env, c.get("creatorId")!, kb, input), 202);
  })
  .openapi(uploadBatch, async (c) => {
    const kb = await kbs.findKnowledgeBase(c.env, c.get("creatorId")!, c.req.valid("param").knowledge_base_id);
    const inputs = await readBatchUpload(c);
    return c.json(await uploadDocuments(c.env, c.get("creatorId")!, kb, inputs), 202);
  })
  .openapi(listDocs, async (c) =>
    c.json(await docs.listDocuments(c.env, c.get("creatorId")!, { knowledgeBaseId: c.req.valid("param").knowledge_base_id, ...c.req.valid("query") }), 200),
  )
  .openapi(getDoc, async (c) => {
    const p = c.req.valid("param");
    return c.json(await docs.getDocument(c.env, c.get("creatorId")!, p.knowledge_base_id, p.document_id), 200);
  })
  .openapi(updateDoc, async (c) => {
    const p = c.req.valid("param");
    await docs.updateDocument(c.env, c.get("creatorId")!, p.knowledge_base_id, p.document_id, c.req.valid("json"));
    return c.json(await docs.getDocument(c.env, c.get("creatorId")!, p.knowledge_base_id, p.document_id), 200);
  })
  .openapi(deleteDoc, async (c) => {
    const p = c.req.valid("param");
    return c.json(await docs.deleteDocument(c.env, c.get("creatorId")!, p.knowledge_base_id, p.document_id), 200);
  })
  .openapi(reprocessDoc, async (c) => {
    const p = c.req.valid("param");
    return c.json(await docs.reprocessDocument(c.env, c.get("creatorId")!, p.knowledge_base_id, p.document_id), 202);
  });
