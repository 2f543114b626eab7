// Zod schemas of widget sessions and live connections.
import { z } from "@hono/zod-openapi";
import { PublicWidgetConfigSchema } from "./schemas";

const VisitorId = z.string().min(8).max(100).regex(/^[A-Za-z0-9_-]+$/, "Letters, digits, '-' and '_' only");
const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "Must be a language tag like en or pt-BR");
const Metadata = z
  .record(z.string().max(100), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 4096, "Metadata is limited to 4 KB of JSON");

export const CreateSessionBody = z
  .object({
    widget_key: z.string().min(1).max(100),
    visitor_id: VisitorId.optional(),
    visitor_secret: z.string().max(100).optional().openapi({ description: "The visitor_secret this visitor_id was issued with: without it a visitor_id names a new visitor" }),
    session_id: z.string().uuid().optional(),
    language: Language.optional(),
    metadata: Metadata.optional(),
  })
  .strict()
  .openapi("CreateWidgetSessionRequest");
export type CreateSessionInput = z.infer<typeof CreateSessionBody>;

export const UpdateSessionBody = z
  // language null = none chosen (as GET shows a session without one).
  .object({ language: Language.nullable(), metadata: Metadata })
  .partial()
  .strict()
  .openapi("UpdateWidgetSessionRequest");
export type UpdateSessionInput = z.infer<typeof UpdateSessionBody>;

export const SessionSchema = z
  .object({
    session_id: z.string(),
    visitor_id: z.string(),
    end_user_id: z.string(),
    conversation_id: z.string(),
    creator_id: z.string(),
    language: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    ended_at: z.string().nullable().openapi({ description: "Set once the session is ended (DELETE): its widget tokens are revoked" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WidgetSession");

export const CreatedSessionSchema = z
  .object({
    session_id: z.string(),
    visitor_id: z.string(),
    visitor_secret: z.string().openapi({ description: "Keep with visitor_id and send both to resume this visitor (a visitor_id alone is not an identity)" }),
    conversation_id: z.string(),
    creator_id: z.string(),
    token: z.string().openapi({ description: "Widget token: only for this conversation's WebSocket" }),
    expires_in: z.number().int(),
    websocket_url: z.string().openapi({ description: "Path to open with ?token=…" }),
    resumed: z.boolean(),
    widget: PublicWidgetConfigSchema,
  })
  .openapi("CreatedWidgetSession");

export const ConnectionsSchema = z
  .object({
    connections: z.array(
      z.object({
        conversation_id: z.string(),
        user_sockets: z.number().int(),
        agent_sockets: z.number().int(),
        updated_at: z.string(),
      }),
    ),
    total_sockets: z.number().int(),
  })
  .openapi("LiveConnections");
