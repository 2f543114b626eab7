// Zod schemas of the users API (the creator's audience).
import { z } from "@hono/zod-openapi";
import { Timezone } from "../auth";

export const ListUsersQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** "web" is the spec's name for the widget (what responses say); "widget" is accepted as an alias. */
  channel: z.enum(["web", "widget", "telegram", "whatsapp", "api", "email"]).optional(),
  status: z.enum(["active", "inactive"]).optional(),
  search: z.string().max(200).optional(),
  sort: z.enum(["created_at", "last_active_at", "engagement_score"]).default("created_at"),
  order: z.enum(["asc", "desc"]).default("desc"),
});

export const UpdateUserSchema = z
  .object({
    profile_data: z.record(z.string(), z.unknown()).refine((v) => JSON.stringify(v).length <= 16_384, "profile_data is limited to 16 KB").optional(),
    timezone: Timezone.nullable().optional(),
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or pt-BR").nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(100).optional(),
  })
  .strict()
  .openapi("UpdateUserRequest");

const UserBase = {
  id: z.string(),
  external_id: z.string(),
  channel: z.string(),
  profile_data: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  created_at: z.string(),
  last_active_at: z.string().nullable(),
  is_active: z.boolean(),
  reachability: z.enum(["active", "unreachable", "blocked"]),
  opted_out: z.boolean(),
  engagement_score: z.number(),
  total_interactions: z.number().int(),
};

export const UserSummarySchema = z.object({ ...UserBase, program_enrollments: z.number().int() }).openapi("EndUserSummary");
export const UserDetailSchema = z
  .object({
    ...UserBase,
    timezone: z.string().nullable(),
    language: z.string().nullable(),
    program_enrollments: z.array(
      z.object({ enrollment_id: z.string(), program_id: z.string(), program_name: z.string(), status: z.string(), progress: z.number(), enrolled_at: z.string() }),
    ),
    recent_interactions: z.array(z.object({ id: z.string(), interaction_type: z.enum(["message_sent", "message_received"]), sender: z.string(), created_at: z.string(), channel: z.string(), conversation_id: z.string() })),
    badges_earned: z.array(z.object({ badge_id: z.string(), badge_name: z.string(), earned_at: z.string(), program_id: z.string().nullable() })),
  })
  .openapi("EndUser");
