// Zod schemas of the analytics endpoints (queries; responses are documented loosely: they mirror the specs).
import { z } from "@hono/zod-openapi";
import { DETAILED_METRICS } from "./service";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use YYYY-MM-DD").refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "Not a date");

export const OverviewQuery = z.object({ period: z.enum(["7d", "30d", "90d", "1y"]).default("30d") });

export const DetailedQuery = z.object({
  metric: z.enum(DETAILED_METRICS),
  granularity: z.enum(["hour", "day", "week", "month"]).default("day"),
  segment: z.enum(["channel"]).optional(),
  start_date: Day.optional(),
  end_date: Day.optional(),
});

export const SupportDashboardQuery = z.object({ startDate: Day.optional(), endDate: Day.optional() });

export const AnyObject = z.record(z.string(), z.unknown());

export const RatingParams = z.object({ conversation_id: z.string().uuid().openapi({ param: { name: "conversation_id", in: "path" } }) });
export const RatingBody = z.object({ score: z.number().int().min(1).max(5), comment: z.string().max(1000).optional() }).strict().openapi("Rating");
export const RatingSchema = z.object({
  conversation_id: z.string(),
  channel: z.string(),
  score: z.number(),
  comment: z.string().nullable(),
  source: z.enum(["visitor", "member"]),
  created_at: z.string(),
});
