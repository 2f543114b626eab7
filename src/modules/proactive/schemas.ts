// Zod schemas of the proactive engine API: rules (trigger, audience, actions), analytics, preview.
import { z } from "@hono/zod-openapi";
import { WhatsAppTemplateSchema } from "../channels";
import { parseCron } from "./cron";

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a local time HH:MM (24 h)");
const Hours = z.number().positive().max(8760);

/** Who a rule is for: everyone, a segment (tag, channel, program), or listed users. */
export const AppliesToSchema = z.union([
  z.literal("all_users"),
  z
    .object({
      tag: z.string().trim().min(1).max(64).optional(),
      channel: z.enum(["widget", "web", "telegram", "whatsapp", "api"]).optional(),
      program_id: z.string().uuid().optional(),
    })
    .strict()
    .refine((s) => s.tag !== undefined || s.channel !== undefined || s.program_id !== undefined, "a segment needs a tag, a channel or a program_id"),
  z.object({ user_ids: z.array(z.string().uuid()).min(1).max(1000) }).strict(),
]);

export const TriggerSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("inactivity"), threshold_hours: Hours, applies_to: AppliesToSchema.default("all_users") }).strict(),
  z
    .object({
      type: z.literal("scheduled"),
      /** Every day (or on days_of_week) at this time on the user's clock. */
      daily_at: HHMM.optional(),
      /** 0 = Sunday … 6 = Saturday. */
      days_of_week: z.array(z.number().int().min(0).max(6)).min(1).max(7).optional(),
      /** Five-field cron evaluated on the user's clock (e.g. "0 9 * * 1" = Mondays 09:00). */
      cron: z.string().max(100).refine((c) => parseCron(c) !== null, "must be a five-field cron expression").optional(),
      applies_to: AppliesToSchema.default("all_users"),
    })
    .strict()
    .refine((t) => (t.daily_at === undefined) !== (t.cron === undefined), { message: "give either daily_at or cron", path: ["daily_at"] })
    .refine((t) => t.days_of_week === undefined || t.daily_at !== undefined, { message: "days_of_week goes with daily_at", path: ["days_of_week"] }),
  z.object({ type: z.literal("program_stalled"), threshold_hours: Hours, program_id: z.string().uuid().optional(), applies_to: AppliesToSchema.default("all_users") }).strict(),
  z
    .object({
      type: z.literal("milestone"),
      event: z.enum(["program_completed", "badge_earned"]),
      program_id: z.string().uuid().optional(),
      badge_id: z.string().trim().min(1).max(100).optional(),
      applies_to: AppliesToSchema.default("all_users"),
    })
    .strict()
    .refine((t) => t.badge_id === undefined || t.event === "badge_earned", { message: "badge_id goes with event badge_earned", path: ["badge_id"] }),
]);

const Delay = z.number().int().min(0).max(10080).default(0);
/** The approved template that reaches WhatsApp users outside the 24-hour window (parameters may use {user_name} and profile fields). */
const WhatsAppTemplate = WhatsAppTemplateSchema;
export const ActionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("send_message"), message_template: z.string().trim().min(1).max(4000), delay_minutes: Delay, whatsapp_template: WhatsAppTemplate.optional() }).strict(),
  z.object({ type: z.literal("ai_message"), prompt: z.string().trim().min(1).max(4000), delay_minutes: Delay, whatsapp_template: WhatsAppTemplate.optional() }).strict(),
]);

export const CreateRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    trigger_conditions: TriggerSchema,
    actions: z.array(ActionSchema).min(1).max(5),
    is_active: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateProactiveRuleRequest");

export const UpdateRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional(),
    trigger_conditions: TriggerSchema.optional(),
    actions: z.array(ActionSchema).min(1).max(5).optional(),
    is_active: z.boolean().optional(),
  })
  .strict()
  .openapi("UpdateProactiveRuleRequest");

export const RuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    trigger_conditions: z.record(z.string(), z.unknown()),
    actions: z.array(z.record(z.string(), z.unknown())),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    triggered_count: z.number().int(),
    success_rate: z.number(),
  })
  .openapi("ProactiveRule");

const DateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD").refine((d) => !Number.isNaN(Date.parse(d)), "must be a real date");
export const AnalyticsQuery = z
  .object({ start_date: DateParam.optional(), end_date: DateParam.optional() })
  .refine((q) => !q.start_date || !q.end_date || q.start_date <= q.end_date, { message: "start_date must not be after end_date", path: ["start_date"] });
