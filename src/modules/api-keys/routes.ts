// Route declarations of the api-keys module: /api/v1/api-keys (admin permission; keys never have it).
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from "./schemas";

const tags = ["API keys"];
const security = [{ bearerAuth: [] }];

export const createKeyRoute = createRoute({
  method: "post",
  path: "/api/v1/api-keys",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Create a server-to-server key (sent as X-API-Key); the key is returned only once",
  request: { body: jsonBody(CreateApiKeySchema) },
  responses: { 201: jsonContent(CreatedApiKeySchema, "Created"), ...errorResponses(400, 401, 403, 409, 422, 429) },
});

export const listKeysRoute = createRoute({
  method: "get",
  path: "/api/v1/api-keys",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Keys of this workspace (name, prefix, scopes, created, last used; never the key)",
  responses: {
    200: jsonContent(z.object({ api_keys: z.array(ApiKeySchema), total: z.number().int() }), "Keys"),
    ...errorResponses(401, 403, 429),
  },
});

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Revoke a key (its next request is 401)",
  request: { params: z.object({ id: UuidParam("id") }) },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404, 422, 429) },
});
