// Zod schemas of the conversations API.
import { z } from "@hono/zod-openapi";
import { UuidParam } from "../../lib/schemas";

export const ConversationParams = z.object({ conversation_id: UuidParam("conversation_id") });

export const ConversationSchema = z
  .object({
    id: z.string(),
    creator_id: z.string(),
    end_user_id: z.string().nullable(),
    channel: z.enum(["widget", "telegram", "whatsapp", "api", "email"]),
    status: z.enum(["active", "waiting_human", "completed", "archived"]),
    assigned_member_id: z.string().nullable(),
    context: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
    last_seq: z.number().int(),
    last_message_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    memory: z
      .array(z.object({ key: z.string(), value: z.unknown(), source: z.string().nullable(), updated_at: z.string() }))
      .optional()
      .openapi({ description: "GET one conversation: what the assistant remembers of its end user (long-term memories), for agents" }),
  })
  .openapi("Conversation");

export const ListConversationsQuery = z.object({
  status: z.enum(["active", "waiting_human", "completed", "archived"]).optional(),
  channel: z.enum(["widget", "telegram", "whatsapp", "api", "email"]).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const PaginationSchema = z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() });

export const ConversationListSchema = z
  .object({ conversations: z.array(ConversationSchema), pagination: PaginationSchema })
  .openapi("ConversationList");

export const MessageSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    seq: z.number().int(),
    sender: z.enum(["user", "ai", "agent", "system"]),
    sender_id: z.string().nullable(),
    sender_name: z.string().nullable(),
    text: z.string(),
    sources: z.array(z.unknown()).nullable(),
    client_message_id: z.string().nullable(),
    attachments: z
      .array(z.object({ id: z.string(), name: z.string(), content_type: z.string(), size: z.number().int(), download_url: z.string() }))
      .openapi({ description: "Files the message carries (GET download_url with the same credential)" }),
    transcription: z
      .object({ status: z.enum(["transcribed", "unavailable", "failed"]), file_id: z.string(), language: z.string().optional(), model: z.string().optional(), message: z.string().optional() })
      .nullable()
      .openapi({ description: "A voice message's speech to text (issue 14): transcribed (the text is the transcript), unavailable (no provider with audio) or failed" }),
    created_at: z.string(),
  })
  .openapi("ConversationMessage");

export const MessagesQuery = z.object({
  after_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const MessageListSchema = z
  .object({ messages: z.array(MessageSchema), next_after_seq: z.number().int().nullable() })
  .openapi("ConversationMessageList");

export const ConversationContextSchema = z
  .object({
    conversation_id: z.string(),
    status: z.string(),
    history: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string(), seq: z.number().int(), created_at: z.string() })),
    /** The latest user message's intent (offline rules: greeting, pricing, scheduling, cancellation, handover, complaint, question). */
    intent: z.object({ name: z.string(), confidence: z.number(), matched: z.array(z.string()) }).nullable(),
    entities: z.record(z.string(), z.unknown()),
    /** What the assistant remembers about the end user (POST /api/memory/memories). */
    memory: z.array(z.object({ type: z.string(), key: z.string(), value: z.unknown(), updated_at: z.string() })),
    last_interaction: z.string().nullable(),
    message_count: z.number().int(),
    channel: z.string(),
    knowledge_base_id: z.string().nullable(),
    /** The recent messages as stored (system notes included), oldest first. */
    messages: z.array(z.object({ id: z.string(), seq: z.number().int(), sender: z.string(), text: z.string(), created_at: z.string() })),
    /** Sources of the latest AI answer. */
    last_sources: z.array(z.unknown()),
  })
  .openapi("ConversationContext");

export const SessionParams = z.object({ session_id: UuidParam("session_id") });

/** customer-support-platform-api.md "Get Session Context", over the same context as the AI context above. */
export const SessionContextSchema = z
  .object({
    sessionId: z.string().openapi({ description: "The widget session id (POST /api/v1/channels/sessions), or a conversation id for other channels" }),
    conversationId: z.string(),
    userId: z.string().nullable(),
    channel: z.string(),
    context: z.object({
      conversation_history: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() })),
      entities: z.record(z.string(), z.unknown()),
      intent: z.string().nullable(),
      intent_confidence: z.number().nullable(),
      memory: z.record(z.string(), z.unknown()),
      last_interaction: z.string().nullable(),
    }),
  })
  .openapi("SessionContext");
