// Route declarations: GET /api/v1/auth/gdpr/data-export, POST /api/v1/auth/gdpr/data-deletion (+ its status).
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";

const tags = ["GDPR"];
const security = [{ bearerAuth: [] }];

export const exportRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/gdpr/data-export",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Every row the creator owns across all modules, as JSON (counts against the daily export quota)",
  responses: {
    200: jsonContent(
      z.object({
        creator_id: z.string(),
        exported_at: z.string(),
        format_version: z.number(),
        data: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
        files: z.array(z.object({ key: z.string(), size: z.number(), uploaded: z.string() })),
      }),
      "Export",
    ),
    ...errorResponses(401, 403, 429),
  },
});

const DeletionSchema = z.object({
  request_id: z.string(),
  status: z.enum(["pending", "completed"]),
  requested_at: z.string(),
  completed_at: z.string().nullable().optional(),
  summary: z.record(z.string(), z.number()).nullable().optional(),
});

export const deletionRoute = createRoute({
  method: "post",
  path: "/api/v1/auth/gdpr/data-deletion",
  tags,
  security,
  middleware: [requireAuth()] as const,
  summary: "Erase the workspace and everything it owns (owner only, password required; runs on a queue)",
  request: { body: jsonBody(z.object({ password: z.string().min(1).max(1024) }).openapi("DataDeletionRequest")) },
  responses: { 202: jsonContent(DeletionSchema, "Deletion scheduled"), ...errorResponses(400, 401, 403, 422, 429) },
});

export const deletionStatusRoute = createRoute({
  method: "get",
  path: "/api/v1/auth/gdpr/data-deletion/{request_id}",
  tags,
  summary: "Status of a deletion request, by its unguessable id (the account itself is gone by then)",
  request: { params: z.object({ request_id: UuidParam("request_id") }) },
  responses: { 200: jsonContent(DeletionSchema, "Status"), ...errorResponses(404, 422) },
});
