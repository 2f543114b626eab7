// Creator profile: GET/PUT /api/v1/creators/profile (creator-hub spec, "Creator Management").
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../lib/schemas";
import { requireAuth } from "../../middleware/auth";
import { CreatorSchema } from "../auth/schemas";
import { presentCreator } from "../auth/presenters";
import { assertTimezone } from "../auth/service";

const tags = ["Creators"];

const UpdateProfileBody = z
  .object({
    full_name: z.string().trim().min(1).max(200),
    company_name: z.string().trim().max(200).nullable(),
    timezone: z.string().trim().max(64),
    bio: z.string().max(2000).nullable(),
    website_url: z.string().url().max(500).nullable(),
    avatar_url: z.string().url().max(500).nullable(),
    settings: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict()
  .openapi("UpdateProfileRequest");

export async function getProfile(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!row) throw notFound("Creator");
  return presentCreator(row);
}

export async function updateProfile(env: Env, creatorId: string, input: z.infer<typeof UpdateProfileBody>) {
  if (input.timezone !== undefined) assertTimezone(input.timezone);
  const t = tenant(env.DB, creatorId);
  const current = await t.db.select().from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!current) throw notFound("Creator");
  const row = await t.db
    .update(creators)
    .set({
      ...(input.full_name !== undefined && { fullName: input.full_name }),
      ...(input.company_name !== undefined && { companyName: input.company_name }),
      ...(input.timezone !== undefined && { timezone: input.timezone }),
      ...(input.bio !== undefined && { bio: input.bio }),
      ...(input.website_url !== undefined && { websiteUrl: input.website_url }),
      ...(input.avatar_url !== undefined && { avatarUrl: input.avatar_url }),
      // Settings merge key by key, so one client can't wipe what another module stored.
      ...(input.settings !== undefined && { settings: { ...current.settings, ...input.settings } }),
      updatedAt: nowIso(),
    })
    .where(eq(creators.id, t.creatorId))
    .returning()
    .get();
  return presentCreator(row!);
}

const getProfileRoute = createRoute({
  method: "get",
  path: "/api/v1/creators/profile",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "read" })] as const,
  summary: "The creator's profile",
  responses: { 200: jsonContent(CreatorSchema, "Profile"), ...errorResponses(401, 429) },
});

const putProfileRoute = createRoute({
  method: "put",
  path: "/api/v1/creators/profile",
  tags,
  security: [{ bearerAuth: [] }],
  middleware: [requireAuth({ permission: "admin" })] as const,
  summary: "Update the creator's profile (partial; settings merge key by key)",
  request: { body: jsonBody(UpdateProfileBody) },
  responses: { 200: jsonContent(CreatorSchema, "Updated profile"), ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
});

export const creatorsRouter = createRouter()
  .openapi(getProfileRoute, async (c) => c.json(await getProfile(c.env, c.get("creatorId")!), 200))
  .openapi(putProfileRoute, async (c) => c.json(await updateProfile(c.env, c.get("creatorId")!, c.req.valid("json")), 200));
