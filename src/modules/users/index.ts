// Routes of the users module: GET /api/v1/users, GET/PUT /api/v1/users/{user_id}.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { PaginationSchema } from "../programs";
import { ListUsersQuery, UpdateUserSchema, UserDetailSchema, UserSummarySchema } from "./schemas";
import * as service from "./service";
import { eraseEndUser, exportEndUser } from "./rights";

const tags = ["Users"];
const security = [{ bearerAuth: [] }];
const UserParams = z.object({ user_id: UuidParam("user_id") });

const listRoute = createRoute({
  method: "get", path: "/api/v1/users", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The creator's end users (filter by channel, activity, text; sort by engagement)",
  request: { query: ListUsersQuery },
  responses: { 200: jsonContent(z.object({ users: z.array(UserSummarySchema), pagination: PaginationSchema }), "Users"), ...errorResponses(401, 422, 429) },
});
const getRoute = createRoute({
  method: "get", path: "/api/v1/users/{user_id}", tags, security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "An end user: profile, timezone, language, enrolments, recent interactions, badges",
  request: { params: UserParams },
  responses: { 200: jsonContent(UserDetailSchema, "User"), ...errorResponses(401, 404, 422, 429) },
});
const updateRoute = createRoute({
  method: "put", path: "/api/v1/users/{user_id}", tags, security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Update an end user's profile data (replaced as a whole), timezone, language, tags",
  request: { params: UserParams, body: jsonBody(UpdateUserSchema) },
  responses: { 200: jsonContent(UserDetailSchema, "User"), ...errorResponses(400, 401, 403, 404, 422, 429) },
});

const eraseRoute = createRoute({
  method: "delete", path: "/api/v1/users/{user_id}", tags, security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Erase an end user and everything held about them (GDPR): messages, conversations, enrolments, proactive ledger, files",
  request: { params: UserParams },
  responses: { 200: jsonContent(z.object({ user_id: z.string(), erased: z.literal(true), summary: z.record(z.string(), z.number()) }), "Erased"), ...errorResponses(401, 403, 404, 422, 429) },
});
const exportRoute = createRoute({
  method: "get", path: "/api/v1/users/{user_id}/export", tags, security,
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Everything held about an end user (GDPR access request), as JSON",
  request: { params: UserParams },
  responses: {
    200: jsonContent(
      z.object({
        user_id: z.string(),
        creator_id: z.string(),
        exported_at: z.string(),
        format_version: z.number(),
        data: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
        files: z.array(z.object({ key: z.string(), size: z.number(), uploaded: z.string() })),
      }),
      "Export",
    ),
    ...errorResponses(401, 403, 404, 422, 429),
  },
});

export const usersRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(eraseRoute, async (c) => {
    const userId = c.req.valid("param").user_id;
    return c.json({ user_id: userId, erased: true as const, summary: await eraseEndUser(c.env, c.get("creatorId")!, userId) }, 200);
  })
  .openapi(exportRoute, async (c) => c.json(await exportEndUser(c.env, c.get("creatorId")!, c.req.valid("param").user_id), 200))
  .openapi(listRoute, async (c) => c.json(await service.listUsers(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
  .openapi(getRoute, async (c) => c.json(await service.getUser(c.env, c.get("creatorId")!, c.req.valid("param").user_id), 200))
  .openapi(updateRoute, async (c) =>
    c.json(await service.updateUser(c.env, c.get("creatorId")!, c.req.valid("param").user_id, c.req.valid("json")), 200),
  );

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { apiChannel, storedChannel } from "./service";
