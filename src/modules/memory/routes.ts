// Route declarations of the memory store: POST /api/memory/memories, GET/DELETE /api/memory/memories/{user_id}[/{memory_id}].
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { MEMORY_TYPES } from "../../db/schema";
import { MemoryIdParam, MemoryQuery, MemorySchema, MemoryUserParam, StoreMemoryBody } from "./schemas";

const tags = ["Memory engine (customer-support paths)"];
const security = [{ bearerAuth: [] }];

export const storeMemoryRoute = createRoute({
  method: "post", path: "/api/memory/memories", tags, security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Store (or replace) a memory about an end user",
  request: { body: jsonBody(StoreMemoryBody) },
  responses: {
    201: jsonContent(z.object({ id: z.string(), status: z.literal("stored"), user_id: z.string(), type: z.enum(MEMORY_TYPES) }), "Stored"),
    ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429),
  },
});

export const getMemoriesRoute = createRoute({
  method: "get", path: "/api/memory/memories/{user_id}", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "An end user's memories (expired ones excluded)",
  request: { params: MemoryUserParam, query: MemoryQuery },
  responses: { 200: jsonContent(z.object({ user_id: z.string(), memories: z.array(MemorySchema) }), "Memories"), ...errorResponses(401, 404, 422, 429) },
});

export const deleteMemoriesRoute = createRoute({
  method: "delete", path: "/api/memory/memories/{user_id}", tags, security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Forget an end user's memories (all, or of one type and/or key)",
  request: { params: MemoryUserParam, query: MemoryQuery },
  responses: { 200: jsonContent(z.object({ deleted: z.number().int() }), "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});

export const deleteMemoryRoute = createRoute({
  method: "delete", path: "/api/memory/memories/{user_id}/{memory_id}", tags, security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Forget one memory",
  request: { params: MemoryIdParam },
  responses: { 200: jsonContent(z.object({ deleted: z.number().int() }), "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});
