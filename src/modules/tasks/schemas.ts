// Zod schemas of the tasks module.
import { z } from "@hono/zod-openapi";

export const PERIODS = ["last_24_hours", "last_7_days", "last_30_days", "last_90_days"] as const;

export const AnalyzeSchema = z
  .object({
    conversation_ids: z.array(z.string().uuid()).min(1).max(200).optional(),
    period: z
      .union([z.enum(PERIODS), z.object({ from: z.string().datetime({ offset: true }), to: z.string().datetime({ offset: true }) }).strict()])
      .optional(),
    question: z.string().trim().min(3).max(1000),
  })
  .strict()
  .refine((v) => (v.conversation_ids ? !v.period : !!v.period), { message: "give either conversation_ids or period", path: ["conversation_ids"] })
  .openapi("AnalyzeTaskRequest");
export type AnalyzeInput = z.infer<typeof AnalyzeSchema>;

export const ResearchSchema = z
  .object({ topic: z.string().trim().min(3).max(500), knowledge_base_id: z.string().uuid().optional() })
  .strict()
  .openapi("ResearchTaskRequest");
export type ResearchInput = z.infer<typeof ResearchSchema>;

export const TaskStatusSchema = z
  .object({
    task_id: z.string(),
    kind: z.enum(["analyze", "research"]),
    state: z.enum(["queued", "running", "completed", "failed", "cancelled"]),
    step: z.string().nullable(),
    progress: z.number().int(),
    error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    status_url: z.string(),
    results_url: z.string(),
  })
  .openapi("TaskStatus");
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
