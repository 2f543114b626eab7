// Routes of conversations: listing and reading (D1 mirror), reset/archive/release, the agents' WebSocket,
// and the AI engine's context view.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, withPolicy } from "../../lib/router";
import { errorResponses, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { BOOKMARK_HEADER } from "../../middleware/d1-session";
import { connectAgent } from "./socket-access";
import {
  ConversationContextSchema,
  ConversationListSchema,
  ConversationParams,
  ConversationSchema,
  ListConversationsQuery,
  MessageListSchema,
  MessagesQuery,
  SessionContextSchema,
  SessionParams,
} from "./schemas";
import * as service from "./service";

const tags = ["Conversations"];
const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/conversations",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Conversations (filter by status and channel; status=waiting_human is the agents' queue, oldest first)",
  request: { query: ListConversationsQuery },
  responses: { 200: jsonContent(ConversationListSchema, "Conversations"), ...errorResponses(401, 422, 429) },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/conversations/{conversation_id}",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "One conversation",
  request: { params: ConversationParams },
  responses: { 200: jsonContent(ConversationSchema, "Conversation"), ...errorResponses(401, 404, 422, 429) },
});

const messagesRoute = createRoute({
  method: "get",
  path: "/api/v1/conversations/{conversation_id}/messages",
  tags,
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Messages in order, paginated by seq (after_seq, limit)",
  request: { params: ConversationParams, query: MessagesQuery },
  responses: { 200: jsonContent(MessageListSchema, "Messages"), ...errorResponses(401, 404, 422, 429) },
});

const action = (name: "reset" | "archive" | "release" | "complete", summary: string) =>
  createRoute({
    method: "post",
    path: `/api/v1/conversations/{conversation_id}/${name}`,
    tags,
    security,
    middleware: [requireAuth({ permission: "conversations" })] as const,
    summary,
    request: { params: ConversationParams },
    responses: { 200: jsonContent(ConversationSchema, "Conversation"), ...errorResponses(401, 403, 404, ...(name === "complete" ? [409] : []), 422, 429) },
  });

const resetRoute = action("reset", "Clear the AI context (later answers ignore earlier turns); the record and messages stay");
const archiveRoute = action("archive", "Archive: no new messages; the visitor's next session starts a new conversation");
const releaseRoute = action("release", "Hand a conversation back to the AI (ends the human handover)");
const completeRoute = action(
  "complete",
  "Mark it resolved (status completed; ends a human handover); the visitor's next message reopens it. Idle ones are completed by the cron",
);

const connectRoute = createRoute({
  method: "get",
  path: "/api/v1/conversations/{conversation_id}/connect",
  tags,
  summary: "WebSocket for agents (Upgrade: websocket, ?token=<access token>); joining takes the conversation over",
  request: { params: ConversationParams, query: z.object({ token: z.string().optional() }) },
  responses: { 101: { description: "Switching protocols" }, ...errorResponses(400, 401, 403, 404, 422, 429) },
});

const contextRoute = createRoute({
  method: "get",
  path: "/api/v1/ai/conversations/{conversation_id}/context",
  tags: ["AI"],
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The AI's context of a conversation: history since the last reset, entities, last interaction",
  request: { params: ConversationParams },
  responses: { 200: jsonContent(ConversationContextSchema, "Context"), ...errorResponses(401, 404, 422, 429) },
});

const sessionContextRoute = createRoute({
  method: "get",
  path: "/api/core/sessions/{session_id}/context",
  tags: ["Chatbot core (customer-support paths)"],
  security,
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "A session's context (customer-support spec): history, intent, entities, memory, last interaction",
  request: { params: SessionParams },
  responses: { 200: jsonContent(SessionContextSchema, "Session context"), ...errorResponses(401, 404, 422, 429) },
});

// The agents' WebSocket connect counts as chat traffic, like the widget's.
withPolicy(connectRoute, { rateLimit: "chat", meter: "api" });

export const conversationsRouter = createRouter({ rateLimit: "default", reads: "replica", meter: "api" })
  .openapi(listRoute, async (c) => c.json(await service.listConversations(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
  .openapi(getRoute, async (c) => c.json(await service.getConversation(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id), 200))
  .openapi(messagesRoute, async (c) =>
    c.json(await service.listMessages(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, c.req.valid("query")), 200),
  )
  .openapi(resetRoute, async (c) => {
    const changed = await service.changeConversation(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, "reset");
    // Made through the conversation object: the D1 bookmark of its write rides on the response (D1 Sessions).
    if (changed.bookmark) c.header(BOOKMARK_HEADER, changed.bookmark);
    return c.json(changed.body, 200);
  })
  .openapi(archiveRoute, async (c) => {
    const changed = await service.changeConversation(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, "archive");
    // Made through the conversation object: the D1 bookmark of its write rides on the response (D1 Sessions).
    if (changed.bookmark) c.header(BOOKMARK_HEADER, changed.bookmark);
    return c.json(changed.body, 200);
  })
  .openapi(releaseRoute, async (c) => {
    const changed = await service.changeConversation(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, "release");
    // Made through the conversation object: the D1 bookmark of its write rides on the response (D1 Sessions).
    if (changed.bookmark) c.header(BOOKMARK_HEADER, changed.bookmark);
    return c.json(changed.body, 200);
  })
  .openapi(completeRoute, async (c) => {
    const changed = await service.changeConversation(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id, "complete");
    // Made through the conversation object: the D1 bookmark of its write rides on the response (D1 Sessions).
    if (changed.bookmark) c.header(BOOKMARK_HEADER, changed.bookmark);
    return c.json(changed.body, 200);
  })
  .openapi(connectRoute, async (c) => {
    // `return await`: a rejected promise handed back un-awaited is reported as unhandled by workerd.
    const res = await connectAgent(c.env, c.req.raw, c.req.valid("param").conversation_id, c.req.valid("query").token);
    return res as never;
  })
  .openapi(contextRoute, async (c) =>
    c.json(await service.conversationContext(c.env, c.get("creatorId")!, c.req.valid("param").conversation_id), 200),
  )
  .openapi(sessionContextRoute, async (c) => c.json(await service.sessionContext(c.env, c.get("creatorId")!, c.req.valid("param").session_id), 200));
