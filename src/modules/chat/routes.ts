// Routes of the chat spec's chat management (ai-chat-app-api.md): list, create (naming a model),
// read, delete (messages, files and the object's storage), messages. The chat's files are in
// modules/files (/api/v1/chat/{chat_id}/upload, /files).
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { ChatListSchema, ChatMessageListSchema, ChatMessagesQuery, ChatParams, ChatSchema, CreateChatBody, DeletedChatSchema, ListChatsQuery } from "./schemas";
import * as service from "./service";

const tags = ["Chat (ai-chat-app paths)"];
const security = [{ bearerAuth: [] }];

const listRoute = createRoute({
  method: "get", path: "/api/v1/chat", tags, security, middleware: [requireAuth({ permission: "read" })] as const,
  summary: "Chats (every conversation of the creator, newest first; filter by channel)",
  request: { query: ListChatsQuery },
  responses: { 200: jsonContent(ChatListSchema, "Chats"), ...errorResponses(401, 403, 422, 429) },
});
const createChatRoute = createRoute({
  method: "post", path: "/api/v1/chat", tags, security, middleware: [requireAuth({ permission: "conversations" })] as const,
  summary: "Create a chat (a conversation on the api channel); model_id / model_api_source must name a configured chat model",
  request: { body: jsonBody(CreateChatBody) },
  responses: { 201: jsonContent(ChatSchema, "Created"), ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429) },
});
const getRoute = createRoute({
  method: "get", path: "/api/v1/chat/{chat_id}", tags, security, middleware: [requireAuth({ permission: "read" })] as const,
  summary: "One chat with its files",
  request: { params: ChatParams },
  responses: { 200: jsonContent(ChatSchema, "Chat"), ...errorResponses(401, 403, 404, 422, 429) },
});
const deleteRoute = createRoute({
  method: "delete", path: "/api/v1/chat/{chat_id}", tags, security, middleware: [requireAuth({ permission: "write" })] as const,
  summary: "Delete a chat: its messages, files (R2 and rows), widget session and the conversation object's storage",
  request: { params: ChatParams },
  responses: { 200: jsonContent(DeletedChatSchema, "Deleted"), ...errorResponses(401, 403, 404, 422, 429) },
});
const messagesRoute = createRoute({
  method: "get", path: "/api/v1/chat/{chat_id}/messages", tags, security, middleware: [requireAuth({ permission: "read" })] as const,
  summary: "A chat's messages in order (after_seq, limit), with their files",
  request: { params: ChatParams, query: ChatMessagesQuery },
  responses: { 200: jsonContent(ChatMessageListSchema, "Messages"), ...errorResponses(401, 403, 404, 422, 429) },
});

export const chatRouter = createRouter({ rateLimit: "default", meter: "api" })
  .openapi(listRoute, async (c) => c.json(await service.listChats(c.env, c.get("creatorId")!, c.req.valid("query")), 200))
  .openapi(createChatRoute, async (c) => c.json(await service.createChat(c.env, c.get("creatorId")!, c.req.valid("json")), 201))
  .openapi(getRoute, async (c) => c.json(await service.getChat(c.env, c.get("creatorId")!, c.req.valid("param").chat_id), 200))
  .openapi(deleteRoute, async (c) => c.json(await service.deleteChat(c.env, c.get("creatorId")!, c.req.valid("param").chat_id), 200))
  .openapi(messagesRoute, async (c) => c.json(await service.chatMessages(c.env, c.get("creatorId")!, c.req.valid("param").chat_id, c.req.valid("query")), 200));
