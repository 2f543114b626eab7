// Request schemas of the creators module.
import { z } from "@hono/zod-openapi";
import { Timezone } from "../auth";

export const UpdateProfileBody = z
  .object({
    full_name: z.string().trim().min(1).max(200),
    company_name: z.string().trim().max(200).nullable(),
    timezone: Timezone,
    bio: z.string().max(2000).nullable(),
    website_url: z.string().url().max(500).nullable(),
    avatar_url: z.string().url().max(500).nullable(),
    settings: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict()
  .openapi("UpdateProfileRequest");

export type UpdateProfileInput = z.infer<typeof UpdateProfileBody>;
