// Channel management routes: /api/v1/channels (CRUD, analytics, outbound messages).
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { channelAnalytics } from "./analytics";
import { getChannelMessage, sendChannelMessage } from "./messages";
import { AnalyticsQuery, AnalyticsSchema, ChannelSchema, CreateChannelSchema, OutboundMessageSchema, SendMessageSchema, UpdateChannelSchema } from "./schemas";
import * as service from "./service";

const tags = ["Channels"];
const security = [{ bearerAuth: [] }];
const Params = z.object({ channel_id: UuidParam("channel_id") });

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/channels",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Channels of this creator (web widget, Telegram bots, WhatsApp numbers); secrets masked",
  responses: { 200: jsonContent(z.object({ channels: z.array(ChannelSchema) }), "Channels"), ...errorResponses(401, 429) },
});

const createChannelRoute = createRoute({
  method: "post",
  path: "/api/v1/channels",
  tags,
  security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Connect a channel. Telegram: getMe + setWebhook (active, or error with the Bot API's reason). WhatsApp: pending_verification until Meta's GET handshake",
  request: { body: jsonBody(CreateChannelSchema) },
  responses: { 201: jsonContent(ChannelSchema, "Created"), ...errorResponses(400, 401, 403, 409, 415, 422, 429) },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/{channel_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "One channel",
  request: { params: Params },
  responses: { 200: jsonContent(ChannelSchema, "Channel"), ...errorResponses(401, 404, 422, 429) },
});

const updateRoute = createRoute({
  method: "put",
  path: "/api/v1/channels/{channel_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Rename, reconfigure (validated per type; a new bot token reconnects the webhook) or pause a channel",
  request: { params: Params, body: jsonBody(UpdateChannelSchema) },
  responses: { 200: jsonContent(ChannelSchema, "Updated"), ...errorResponses(400, 401, 403, 404, 409, 415, 422, 429) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/api/v1/channels/{channel_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Disconnect a channel (Telegram: deleteWebhook); its conversations stay",
  request: { params: Params },
  responses: { 204: { description: "Disconnected" }, ...errorResponses(401, 403, 404, 422, 429) },
});

const analyticsRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/{channel_id}/analytics",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Messages, users, new users, response time, engagement and a daily breakdown (default: the last 30 days)",
  request: { params: Params, query: AnalyticsQuery },
  responses: { 200: jsonContent(AnalyticsSchema, "Analytics"), ...errorResponses(401, 404, 422, 429) },
});

const sendRoute = createRoute({
  method: "post",
  path: "/api/v1/channels/{channel_id}/messages",
  tags,
  security,
  middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Send a text to an end user through the channel: stored in their conversation, queued, retried, split over 4096 characters",
  request: { params: Params, body: jsonBody(SendMessageSchema) },
  responses: { 202: jsonContent(OutboundMessageSchema, "Queued"), ...errorResponses(400, 401, 403, 404, 409, 415, 422, 429) },
});

const getMessageRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/{channel_id}/messages/{message_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "An outbound message and its delivery status (queued, sent, delivered, read, failed)",
  request: { params: Params.extend({ message_id: UuidParam("message_id") }) },
  responses: { 200: jsonContent(OutboundMessageSchema, "Message"), ...errorResponses(401, 404, 422, 429) },
});

export const channelRoutes = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(listRoute, async (c) => c.json(await service.listChannels(c.env, c.get("creatorId")!), 200))
  .openapi(createChannelRoute, async (c) => c.json(await service.createChannel(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(getRoute, async (c) => c.json(await service.readChannel(c.env, c.get("creatorId")!, c.req.valid("param").channel_id), 200))
  .openapi(updateRoute, async (c) =>
    c.json(await service.updateChannel(c.env, c.get("creatorId")!, c.req.valid("param").channel_id, c.req.valid("json")), 200),
  )
  .openapi(deleteRoute, async (c) => {
    await service.deleteChannel(c.env, c.get("creatorId")!, c.req.valid("param").channel_id);
    return c.body(null, 204);
  })
  .openapi(analyticsRoute, async (c) =>
    c.json(await channelAnalytics(c.env, c.get("creatorId")!, c.req.valid("param").channel_id, c.req.valid("query")), 200),
  )
  .openapi(sendRoute, async (c) =>
    c.json(await sendChannelMessage(c.env, c.get("auth")!, c.req.valid("param").channel_id, c.req.valid("json")), 202),
  )
  .openapi(getMessageRoute, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getChannelMessage(c.env, c.get("creatorId")!, p.channel_id, p.message_id), 200);
  });
