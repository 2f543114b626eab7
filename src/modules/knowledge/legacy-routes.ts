// The older creator-hub paths (/api/v1/creators/knowledge/*): the same documents, uploads go into the
// creator's default knowledge base (or the knowledge_base_id form field), plus hybrid search.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import * as docs from "./documents";
import { defaultKnowledgeBase, findKnowledgeBase } from "./knowledge-bases";
import { DocumentListSchema, DocumentSchema, ListDocumentsQuery, MessageSchema, SearchResultSchema } from "./schemas";
import { searchKnowledge } from "./search-service";
import { readUpload } from "./upload-form";
import { uploadDocument } from "./uploads";

const tags = ["Knowledge (creator hub paths)"];
const security = [{ bearerAuth: [] }];

const upload = createRoute({
  method: "post", path: "/api/v1/creators/knowledge/upload", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Upload a document into the default knowledge base (or knowledge_base_id)",
  responses: { 202: jsonContent(DocumentSchema, "Accepted"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});
const list = createRoute({
  method: "get", path: "/api/v1/creators/knowledge/documents", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "All documents of the creator (page, limit ≤ 100, status, search, knowledge_base_id)",
  request: { query: ListDocumentsQuery.extend({ knowledge_base_id: z.string().uuid().optional() }) },
  responses: { 200: jsonContent(DocumentListSchema, "Documents"), ...errorResponses(401, 404, 422, 429) },
});
const remove = createRoute({
  method: "delete", path: "/api/v1/creators/knowledge/documents/{doc_id}", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Delete a document", request: { params: z.object({ doc_id: UuidParam("doc_id") }) },
  responses: { 200: jsonContent(MessageSchema, "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});
const searchRoute = createRoute({
  method: "get", path: "/api/v1/creators/knowledge/search", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Hybrid search (BM25 + vectors, z-score fusion) with highlighted snippets",
  request: {
    query: z.object({
      q: z.string().trim().min(1).max(1000),
      limit: z.coerce.number().int().min(1).max(1000).default(10),
      knowledge_base_id: z.string().uuid().optional(),
    }),
  },
  responses: { 200: jsonContent(SearchResultSchema, "Results"), ...errorResponses(401, 404, 422, 429) },
});

withPolicy(upload, { rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: { counts: ["uploads"], gauge: "storage_bytes" } });
withPolicy(searchRoute, { rateLimit: "search", meter: "api" });

export const legacyKnowledgeRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(upload, async (c) => {
    const creatorId = c.get("creatorId")!;
    const input = await readUpload(c);
    const kb = input.knowledgeBaseId ? await findKnowledgeBase(c.env, creatorId, input.knowledgeBaseId) : await defaultKnowledgeBase(c.env, creatorId);
    return c.json(await uploadDocument(c.env, creatorId, kb, input), 202);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    return c.json(await docs.listDocuments(c.env, c.get("creatorId")!, { ...q, knowledgeBaseId: q.knowledge_base_id }), 200);
  })
  .openapi(remove, async (c) => c.json(await docs.deleteDocument(c.env, c.get("creatorId")!, undefined, c.req.valid("param").doc_id), 200))
  .openapi(searchRoute, async (c) => {
    const q = c.req.valid("query");
    return c.json(
      await searchKnowledge(c.env, c.get("creatorId")!, { query: q.q, limit: q.limit, knowledgeBaseIds: q.knowledge_base_id ? [q.knowledge_base_id] : undefined }),
      200,
    );
  });
