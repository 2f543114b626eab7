// Routes of the web channel: widget sessions, the widget's WebSocket, live connections.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppBindings } from "../../env";
import { forbidden, notFound, unauthenticated } from "../../lib/errors";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent, UuidParam } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { verifyLiveWidgetToken } from "./revocation";
import { connectWidget } from "./socket";
import { ConnectionsSchema, CreatedSessionSchema, CreateSessionBody, SessionSchema, UpdateSessionBody } from "./widget-session-schemas";
import * as service from "./widget-sessions";

const tags = ["Channels"];
const SessionParams = z.object({ session_id: UuidParam("session_id") });
const TokenQuery = z.object({
  ticket: z.string().max(200).optional().openapi({ description: "One-time socket ticket (POST /api/v1/channels/sessions/{session_id}/ticket): what the widget uses" }),
  token: z.string().optional().openapi({ description: "Widget token, for API clients (browsers can't set WebSocket headers; a ticket keeps the token out of URLs)" }),
});
const TicketSchema = z
  .object({ ticket: z.string(), expires_in: z.number().int().openapi({ description: "Seconds; the ticket opens one socket" }), websocket_url: z.string() })
  .openapi("WidgetSocketTicket");

const createSessionRoute = createRoute({
  method: "post",
  path: "/api/v1/channels/sessions",
  tags,
  summary: "Open or resume a widget session (public; the page's Origin must be allowed)",
  request: { body: jsonBody(CreateSessionBody) },
  responses: { 201: jsonContent(CreatedSessionSchema, "Session and widget token"), ...errorResponses(400, 403, 404, 413, 415, 422, 429) },
});

const getSessionRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/sessions/{session_id}",
  tags,
  security: [{ bearerAuth: [] }],
  summary: "A widget session (its own widget token, or a creator access token)",
  request: { params: SessionParams },
  responses: { 200: jsonContent(SessionSchema, "Session"), ...errorResponses(401, 404, 422, 429) },
});

const putSessionRoute = createRoute({
  method: "put",
  path: "/api/v1/channels/sessions/{session_id}",
  tags,
  security: [{ bearerAuth: [] }],
  summary: "Update a widget session's language and metadata (metadata merges key by key)",
  request: { params: SessionParams, body: jsonBody(UpdateSessionBody) },
  responses: { 200: jsonContent(SessionSchema, "Updated"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const deleteSessionRoute = createRoute({
  method: "delete",
  path: "/api/v1/channels/sessions/{session_id}",
  tags,
  security: [{ bearerAuth: [] }],
  summary:
    "End a widget session (its own widget token, or a member with the conversations permission): its widget tokens are revoked and its sockets closed",
  request: { params: SessionParams },
  responses: { 204: { description: "Ended (also when it had ended before)" }, ...errorResponses(401, 403, 404, 422, 429) },
});

const ticketRoute = createRoute({
  method: "post",
  path: "/api/v1/channels/sessions/{session_id}/ticket",
  tags,
  security: [{ bearerAuth: [] }],
  summary: "A one-time, seconds-long ticket for the widget's WebSocket (the session's own widget token as bearer), so the token never sits in a URL",
  request: { params: SessionParams },
  responses: { 201: jsonContent(TicketSchema, "Ticket"), ...errorResponses(401, 404, 422, 429) },
});

const connectionsRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/connections",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Live WebSocket connections per conversation",
  responses: { 200: jsonContent(ConnectionsSchema, "Connections"), ...errorResponses(401, 429) },
});

const widgetSocketRoute = createRoute({
  method: "get",
  path: "/api/v1/channels/widget/{creator_id}/connect",
  tags,
  summary: "WebSocket of the widget (Upgrade: websocket, ?ticket=<one-time ticket> or ?token=<widget token>); protocol in DESIGN.md",
  request: { params: z.object({ creator_id: UuidParam("creator_id") }), query: TokenQuery },
  responses: { 101: { description: "Switching protocols" }, ...errorResponses(400, 401, 404, 422, 429) },
});

/** The tenant a session request may see: its own (unrevoked) widget token's session, or a creator's member. */
async function sessionCaller(c: Context<AppBindings>, sessionId: string, memberPermission?: "conversations"): Promise<string> {
  const claims = c.get("auth");
  if (claims) {
    if (memberPermission && !claims.permissions.includes(memberPermission)) throw forbidden(`This action needs the '${memberPermission}' permission`);
    return claims.creator_id;
  }
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
  if (!match) throw unauthenticated();
  const widget = await verifyLiveWidgetToken(c.env, match[1]!);
  if (widget.sid !== sessionId) throw notFound("Session");
  return widget.creator_id;
}

// The widget's public session endpoint and WebSocket connect are chat traffic of the creator's
// audience; the live connections list is the creator's own API use.
withPolicy(connectionsRoute, { rateLimit: "default", meter: "api" });

export const widgetSessionsRouter = createRouter({ rateLimit: "chat", meter: "api" })
  .openapi(createSessionRoute, async (c) =>
    c.json(await service.createSession(c.env, c.req.valid("json"), c.req.header("Origin") ?? null), 201),
  )
  .openapi(getSessionRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    return c.json(await service.getSession(c.env, await sessionCaller(c, session_id), session_id), 200);
  })
  .openapi(putSessionRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    return c.json(await service.updateSession(c.env, await sessionCaller(c, session_id), session_id, c.req.valid("json")), 200);
  })
  .openapi(deleteSessionRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    await service.endSession(c.env, await sessionCaller(c, session_id, "conversations"), session_id);
    return c.body(null, 204);
  })
  .openapi(ticketRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
    if (!match) throw unauthenticated("The session's widget token is required");
    return c.json(await service.issueSocketTicket(c.env, match[1]!, session_id, c.req.raw), 201);
  })
  .openapi(connectionsRoute, async (c) => c.json(await service.liveConnections(c.env, c.get("creatorId")!), 200))
  // `return await`: a rejected promise handed back un-awaited is reported as unhandled by workerd.
  .openapi(widgetSocketRoute, async (c) => {
    const { ticket, token } = c.req.valid("query");
    const res = await connectWidget(c.env, c.req.raw, c.req.valid("param").creator_id, { ticket, token });
    return res as never;
  });
