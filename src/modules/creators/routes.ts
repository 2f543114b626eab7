// Route declarations: GET/PUT /api/v1/creators/profile (creator-hub spec, "Creator Management").
import { createRoute } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { CreatorSchema } from "../auth";
import { UpdateProfileBody } from "./schemas";

const tags = ["Creators"];

export const getProfileRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/profile",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The creator's profile",
  responses: { 200: jsonContent(CreatorSchema, "Profile"), ...errorResponses(401, 429) },
});

export const putProfileRoute = createRoute({
  method: "put",
  path: "/api/v1/creators/profile",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Update the creator's profile (partial; settings merge key by key)",
  request: { body: jsonBody(UpdateProfileBody) },
  responses: { 200: jsonContent(CreatorSchema, "Updated profile"), ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
});
