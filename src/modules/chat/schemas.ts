// Zod schemas of the chat management API (ai-chat-app-api.md "Chat Management APIs").
import { z } from "@hono/zod-openapi";
import { UuidParam } from "../../lib/schemas";
import { FileSchema } from "../files/schemas";

export const ChatParams = z.object({ chat_id: UuidParam("chat_id") });

export const ListChatsQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  channel: z.enum(["widget", "telegram", "whatsapp", "api"]).optional(),
});

export const CreateChatBody = z
  .object({
    model_id: z.string().trim().min(1).max(200).optional().openapi({ description: "A chat model of a configured provider (`model` or `source:model`)" }),
    model_api_source: z.string().trim().min(1).max(50).optional().openapi({ description: "The provider: workers-ai, openai, local" }),
    knowledge_base_id: z.string().uuid().optional(),
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .openapi("CreateChat");

export const ChatSchema = z
  .object({
    chat_id: z.string(),
    user_id: z.string().nullable().openapi({ description: "The conversation's end user (null for API chats)" }),
    channel: z.string(),
    status: z.string(),
    title: z.string().nullable(),
    current_model_id: z.string().openapi({ description: "The chat model that answers it" }),
    current_model_api_source: z.string(),
    knowledge_base_id: z.string().nullable(),
    last_message_at: z.string().nullable(),
    created_timestamp: z.string(),
    files: z.array(FileSchema).optional().openapi({ description: "GET one chat: its files" }),
  })
  .openapi("Chat");

export const ChatListSchema = z
  .object({
    chats: z.array(ChatSchema),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }),
  })
  .openapi("ChatList");

export const ChatMessagesQuery = z.object({
  after_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ChatMessageSchema = z
  .object({
    message_id: z.string(),
    chat_id: z.string(),
    seq: z.number().int(),
    role: z.enum(["user", "assistant", "system"]).openapi({ description: "ai → assistant; agents' messages are assistant with sender agent" }),
    sender: z.enum(["user", "ai", "agent", "system"]),
    content: z.string(),
    files: z.array(z.string()).openapi({ description: "Ids of the attached files" }),
    attachments: z.array(z.object({ id: z.string(), name: z.string(), content_type: z.string(), size: z.number().int(), download_url: z.string() })),
    timestamp: z.string(),
  })
  .openapi("ChatMessage");

export const ChatMessageListSchema = z
  .object({ messages: z.array(ChatMessageSchema), next_after_seq: z.number().int().nullable() })
  .openapi("ChatMessageList");

export const DeletedChatSchema = z
  .object({
    chat_id: z.string(),
    deleted: z.literal(true),
    messages: z.number().int(),
    files: z.number().int(),
    conversation_object: z.boolean().openapi({ description: "The conversation object's storage (live log, sockets) was erased" }),
  })
  .openapi("DeletedChat");
