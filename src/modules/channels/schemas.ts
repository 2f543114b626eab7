// Zod schemas of the channel management API (creator-hub-api.md "Channel Management API").
import { z } from "@hono/zod-openapi";
import { CHANNEL_STATUSES, CHANNEL_TYPES } from "../../db/schema";
import { TELEGRAM_TOKEN } from "./telegram";
import { E164 } from "./whatsapp";
import { WhatsAppTemplateSchema } from "./whatsapp-template";

const Name = z.string().trim().min(1).max(100);
const Welcome = z.string().trim().min(1).max(4096);

export const WebConfig = z
  .object({
    widget_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "Must be a hex colour like #007bff").optional(),
    welcome_message: Welcome.optional(),
    allowed_origins: z.array(z.string().url().max(300)).max(50).optional(),
  })
  .strict();

export const TelegramConfig = z
  .object({
    bot_token: z.string().trim().regex(TELEGRAM_TOKEN, "Must be a bot token as BotFather issues it (<bot id>:<secret>)"),
    welcome_message: Welcome.optional(),
  })
  .strict();

export const WhatsAppConfig = z
  .object({
    phone_number: z.string().trim().regex(E164, "Must be an E.164 phone number like +15550783881"),
    /** The Cloud API's id of the number: notifications name it, sends go to /{phone_number_id}/messages. */
    phone_number_id: z.string().trim().regex(/^\d{5,30}$/, "Must be the numeric phone number ID from the WhatsApp Manager"),
    business_account_id: z.string().trim().regex(/^\d{5,30}$/, "Must be the numeric WhatsApp Business Account ID"),
    access_token: z.string().trim().min(20).max(1000),
    /** Signs every notification (X-Hub-Signature-256). */
    app_secret: z.string().trim().min(16).max(200),
    webhook_verify_token: z.string().trim().min(8).max(200),
    welcome_message: Welcome.optional(),
    /**
     * An approved template for any message that names none of its own when the 24-hour window has
     * closed (an agent answering late, a resolved notice, a program step): the message text becomes
     * its body parameter {{1}} unless the template lists parameters. Without it such sends fail.
     */
    fallback_template: WhatsAppTemplateSchema.optional(),
  })
  .strict();

export const EmailConfig = z
  .object({
    /** The inbound address's local part (<local_part>@EMAIL_INBOUND_DOMAIN); a random one when omitted. */
    local_part: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/, "Letters, digits, dots, dashes and underscores (1-64), starting and ending with a letter or digit")
      .optional(),
    /** The display name of our replies' From (default: the channel's name). */
    from_name: z.string().trim().min(1).max(100).optional(),
    welcome_message: Welcome.optional(),
  })
  .strict();

export const CONFIG_SCHEMAS = { web: WebConfig, telegram: TelegramConfig, whatsapp: WhatsAppConfig, email: EmailConfig } as const;

export const CreateChannelSchema = z
  .discriminatedUnion("channel_type", [
    z.object({ channel_type: z.literal("web"), channel_name: Name, configuration: WebConfig.default({}) }),
    z.object({ channel_type: z.literal("telegram"), channel_name: Name, configuration: TelegramConfig }),
    z.object({ channel_type: z.literal("whatsapp"), channel_name: Name, configuration: WhatsAppConfig }),
    z.object({ channel_type: z.literal("email"), channel_name: Name, configuration: EmailConfig.default({}) }),
  ])
  .openapi("CreateChannelRequest");
export type CreateChannelInput = z.infer<typeof CreateChannelSchema>;

export const UpdateChannelSchema = z
  .object({
    channel_name: Name.optional(),
    /** Validated against the channel's own type; omitted secrets (or their masks) stay as they are. */
    configuration: z.record(z.string(), z.unknown()).optional(),
    /** Pause (inactive) or resume a channel; inbound updates of a paused channel are acknowledged and dropped. */
    status: z.enum(["active", "inactive"]).optional(),
  })
  .strict()
  .openapi("UpdateChannelRequest");
export type UpdateChannelInput = z.infer<typeof UpdateChannelSchema>;

export const ChannelSchema = z
  .object({
    id: z.string(),
    channel_type: z.enum(CHANNEL_TYPES),
    channel_name: z.string(),
    status: z.enum(CHANNEL_STATUSES),
    status_detail: z.string().nullable(),
    configuration: z.record(z.string(), z.unknown()).openapi({ description: "Secrets appear masked (****abcd), never in clear" }),
    created_at: z.string(),
    updated_at: z.string(),
    user_count: z.number().int(),
    last_activity_at: z.string().nullable(),
  })
  .openapi("Channel");

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Must be a date YYYY-MM-DD").refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "Not a calendar date");
export const ANALYTICS_METRICS = ["messages", "users", "engagement", "response_time"] as const;

export const AnalyticsQuery = z.object({
  start_date: Day.optional(),
  end_date: Day.optional(),
  metrics: z
    .string()
    .optional()
    .refine((v) => !v || v.split(",").every((m) => (ANALYTICS_METRICS as readonly string[]).includes(m.trim())), `Comma-separated list of: ${ANALYTICS_METRICS.join(", ")}`),
});

export const AnalyticsSchema = z
  .object({
    channel_id: z.string(),
    date_range: z.object({ start_date: z.string(), end_date: z.string() }),
    metrics: z.object({
      total_messages: z.number().int().optional(),
      inbound_messages: z.number().int().optional(),
      outbound_messages: z.number().int().optional(),
      unique_users: z.number().int().optional(),
      new_users: z.number().int().optional(),
      average_response_time_seconds: z.number().nullable().optional(),
      user_satisfaction_score: z.number().nullable().optional(),
      engagement_rate: z.number().nullable().optional(),
    }),
    daily_breakdown: z.array(z.object({ date: z.string(), messages: z.number().int(), users: z.number().int(), new_users: z.number().int() })),
  })
  .openapi("ChannelAnalytics");

export const SendMessageSchema = z
  .object({
    /** The end user on this channel: Telegram chat id or WhatsApp number (E.164, the + optional). */
    to: z.string().trim().min(1).max(64).optional(),
    end_user_id: z.string().uuid().optional(),
    /** "template": an approved WhatsApp template (the only kind WhatsApp delivers outside the 24-hour window). */
    type: z.enum(["text", "template"]).default("text"),
    text: z.string().trim().min(1).max(20_000).optional(),
    template: WhatsAppTemplateSchema.optional(),
    /** Files of the end user's conversation (POST /api/v1/conversations/{id}/files) sent with the text through the channel's media API. */
    attachments: z.array(z.string().uuid()).min(1).max(10).optional().openapi({ description: "Conversation file ids, sent as photos, documents, voice notes, audio or video" }),
    /** The caller's id for this message: sending it again returns the first send. */
    messageId: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (!b.to && !b.end_user_id) ctx.addIssue({ code: "custom", message: "Give the recipient: to (chat id or phone number) or end_user_id", path: ["to"] });
    if (b.type === "text" && b.text === undefined && !b.attachments) ctx.addIssue({ code: "custom", message: "Required for a text message (or give attachments)", path: ["text"] });
    if (b.type === "template" && b.attachments) ctx.addIssue({ code: "custom", message: "A template message carries no attachments", path: ["attachments"] });
    if (b.type === "text" && b.template) ctx.addIssue({ code: "custom", message: "A template goes with type \"template\"", path: ["template"] });
    if (b.type === "template" && !b.template) ctx.addIssue({ code: "custom", message: "Required for a template message: {name, language, parameters}", path: ["template"] });
    if (b.type === "template" && b.text !== undefined) ctx.addIssue({ code: "custom", message: "A template message has no free text: its wording is the approved template's", path: ["text"] });
  })
  .openapi("SendChannelMessageRequest");
export type SendMessageInput = z.infer<typeof SendMessageSchema>;

export const OutboundMessageSchema = z
  .object({
    status: z.string().openapi({ description: "Delivery status: queued, sent, delivered, read or failed" }),
    messageId: z.string(),
    message_id: z.string(),
    type: z.enum(["text", "template"]),
    template: WhatsAppTemplateSchema.optional(),
    conversation_id: z.string(),
    end_user_id: z.string(),
    seq: z.number().int(),
    text: z.string(),
    sender: z.string(),
    delivery_status: z.string().nullable(),
    delivery_error: z.string().nullable(),
    attachments: z.array(z.object({ id: z.string(), name: z.string(), content_type: z.string(), size: z.number().int(), url: z.string() })),
    parts: z.number().int(),
    timestamp: z.string(),
  })
  .openapi("ChannelOutboundMessage");
