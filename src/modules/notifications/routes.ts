// Routes of notifications and the members' live inbox WebSocket.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { connectInbox } from "./inbox";
import { MarkReadBody, MarkReadResult, NotificationListSchema, NotificationsQuery } from "./schemas";
import * as service from "./service";

const tags = ["Notifications"];
const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/notifications",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The signed-in member's notifications, newest first, with the unread count",
  request: { query: NotificationsQuery },
  responses: { 200: jsonContent(NotificationListSchema, "Notifications"), ...errorResponses(401, 422, 429) },
});

const markRoute = createRoute({
  method: "post",
  path: "/api/v1/notifications/mark-read",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Mark notifications read: {ids: [...]} or {all: true}",
  request: { body: jsonBody(MarkReadBody) },
  responses: { 200: jsonContent(MarkReadResult, "Marked"), ...errorResponses(401, 422, 429) },
});

const connectRoute = createRoute({
  method: "get",
  path: "/api/v1/inbox/connect",
  tags,
  summary: "Live inbox WebSocket for members (Upgrade: websocket, ?token=<access token>, optional after_seq to resume)",
  request: { query: z.object({ token: z.string().optional(), after_seq: z.coerce.number().int().min(0).optional() }) },
  responses: { 101: { description: "Switching protocols" }, ...errorResponses(400, 401, 403, 422, 429) },
});

export const notificationsRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(listRoute, async (c) => c.json(await service.listNotifications(c.env, c.get("creatorId")!, c.get("auth")!.sub, c.req.valid("query")), 200))
  .openapi(markRoute, async (c) => c.json(await service.markRead(c.env, c.get("creatorId")!, c.get("auth")!.sub, c.req.valid("json")), 200))
  .openapi(connectRoute, async (c) => {
    const res = await connectInbox(c.env, c.req.raw, c.req.valid("query").token);
    return res as never;
  });
