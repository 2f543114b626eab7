// Routes of the users module: GET /api/v1/users, GET/PUT /api/v1/users/{user_id}.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { PaginationSchema } from "../programs/schemas";
import { ListUsersQuery, UpdateUserSchema, UserDetailSchema, UserSummarySchema } from "./schemas";
import * as service from "./service";

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

export const usersRouter = createRouter({ rateLimit: "default" })
  .openapi(listRoute, async (c) => c.json(await service.listUsers(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
  .openapi(getRoute, async (c) => c.json(await service.getUser(c.env, c.get("creatorId")!, c.req.valid("param").user_id), 200))
  .openapi(updateRoute, async (c) =>
    c.json(await service.updateUser(c.env, c.get("creatorId")!, c.req.valid("param").user_id, c.req.valid("json")), 200),
  );
