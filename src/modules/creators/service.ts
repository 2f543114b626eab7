// Creator profile: read and partial update, always scoped to the token's creator.
import { eq } from "drizzle-orm";
import { tenant } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { presentCreator } from "../auth";
import type { UpdateProfileInput } from "./schemas";

export async function getProfile(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!row) throw notFound("Creator");
  return presentCreator(row);
}

export async function updateProfile(env: Env, creatorId: string, input: UpdateProfileInput) {
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
