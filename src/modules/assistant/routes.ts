// Route declarations: GET/PUT /api/v1/creators/assistant (the assistant's persona).
import { createRoute } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { PersonaSchema, UpdatePersonaBody } from "./schemas";

const tags = ["Assistant"];

export const getPersonaRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/assistant",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The assistant's persona",
  responses: { 200: jsonContent(PersonaSchema, "Persona"), ...errorResponses(401, 429) },
});

export const putPersonaRoute = createRoute({
  method: "put",
  path: "/api/v1/creators/assistant",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Update the assistant's persona (partial; null clears a field to its default)",
  request: { body: jsonBody(UpdatePersonaBody) },
  responses: { 200: jsonContent(PersonaSchema, "Updated persona"), ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
});
