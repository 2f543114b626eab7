// Zod schemas of the programs API (requests and responses).
import { z } from "@hono/zod-openapi";
import { FlowDefinitionSchema } from "./flow";

export const ProgramSettingsSchema = z
  .object({
    auto_enroll: z.boolean().optional(),
    /** Badge awarded when an enrolment completes. */
    completion_badge: z.string().trim().min(1).max(100).optional(),
    completion_badge_name: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const CreateProgramSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).optional(),
    flow_definition: FlowDefinitionSchema,
    settings: ProgramSettingsSchema.default({}),
  })
  .strict()
  .openapi("CreateProgramRequest");

export const UpdateProgramSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).nullable().optional(),
    flow_definition: FlowDefinitionSchema.optional(),
    settings: ProgramSettingsSchema.optional(),
  })
  .strict()
  .openapi("UpdateProgramRequest");

export const ListProgramsQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(["draft", "published", "archived"]).optional(),
  search: z.string().max(200).optional(),
});

export const ProgramAnalyticsSchema = z.object({
  total_enrollments: z.number().int(),
  active_enrollments: z.number().int(),
  paused_enrollments: z.number().int(),
  completed_enrollments: z.number().int(),
  cancelled_enrollments: z.number().int(),
  completion_rate: z.number(),
  average_completion_time_days: z.number().nullable(),
  engagement_score: z.number().nullable(),
});

export const ProgramSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    flow_definition: FlowDefinitionSchema.optional(),
    status: z.enum(["draft", "published", "archived"]),
    version: z.number().int(),
    published_version: z.number().int().nullable(),
    settings: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    published_at: z.string().nullable(),
    archived_at: z.string().nullable(),
    enrollment_count: z.number().int(),
    completion_rate: z.number(),
    analytics: ProgramAnalyticsSchema.optional(),
  })
  .openapi("Program");

export const PaginationSchema = z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() });

export const EnrollmentSchema = z
  .object({
    enrollment_id: z.string(),
    program_id: z.string(),
    program_name: z.string().optional(),
    user_id: z.string(),
    version: z.number().int(),
    status: z.enum(["active", "paused", "completed", "cancelled"]),
    progress: z.number(),
    current_step: z.object({ node_id: z.string(), type: z.string(), waiting_for: z.enum(["answer", "time"]).nullable(), due_at: z.string().nullable() }).nullable(),
    enrolled_at: z.string(),
    completed_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    paused_at: z.string().nullable(),
    history: z
      .array(z.object({ step: z.number().int(), node_id: z.string(), type: z.string(), outcome: z.string(), detail: z.record(z.string(), z.unknown()), at: z.string() }))
      .optional(),
  })
  .openapi("Enrollment");
