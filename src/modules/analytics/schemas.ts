// Zod schemas of the analytics endpoints (queries; responses are documented loosely: they mirror the specs).
import { z } from "@hono/zod-openapi";
import { DETAILED_METRICS } from "./service";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use YYYY-MM-DD").refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "Not a date");

export const OverviewQuery = z.object({ period: z.enum(["7d", "30d", "90d", "1y"]).default("30d") });

export const DetailedQuery = z.object({
  metric: z.enum(DETAILED_METRICS),
  granularity: z.enum(["hour", "day", "week", "month"]).default("day"),
  segment: z
    .enum(["channel", "program", "user_type"])
    .optional()
    .openapi({ description: "channel: web/telegram/whatsapp/api; program: the program the end user was running (`none`: none); user_type: `new` (first conversation) or `returning`" }),
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

export const ExportBody = z
  .object({
    format: z.enum(["csv", "json"]),
    metrics: z.array(z.enum(DETAILED_METRICS)).min(1).max(DETAILED_METRICS.length),
    period: z.enum(["7d", "30d", "90d", "1y"]).default("30d"),
    delivery: z.enum(["download", "email"]).default("download"),
  })
  .strict()
  .openapi("AnalyticsExportRequest");
export const ExportParams = z.object({ export_id: z.string().uuid().openapi({ param: { name: "export_id", in: "path" } }) });
export const DownloadQuery = z.object({ token: z.string().min(1).max(500) });
export const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(["queued", "processing", "completed", "failed"]),
    format: z.enum(["csv", "json"]),
    metrics: z.array(z.string()),
    period: z.string(),
    delivery: z.enum(["download", "email"]),
    size_bytes: z.number().nullable(),
    error: z.string().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    download_url: z.string().nullable().openapi({ description: "When completed: a signed link that expires at expires_at (each status read issues a fresh one)" }),
    expires_at: z.string().nullable(),
  })
  .openapi("AnalyticsExport");

export const KnowledgeGapsQuery = z.object({
  period: z.enum(["7d", "30d", "90d"]).default("30d"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
