// The knowledge base row as documents see it: found (404 otherwise) and its revision bumped when its
// documents change. A file of its own so documents.ts and knowledge-bases.ts (which deletes
// documents) don't import each other.
import { and, eq, inArray, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { knowledgeBases } from "../../db/schema";
import type { Env } from "../../env";
import { notFound } from "../../lib/errors";

export type KbRow = typeof knowledgeBases.$inferSelect;

export async function findKnowledgeBase(env: Env, creatorId: string, id: string): Promise<KbRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(knowledgeBases).where(t.where(knowledgeBases, eq(knowledgeBases.id, id))).get();
  if (!row) throw notFound("Knowledge base");
  return row;
}

/** Marks knowledge bases as changed: their cached searches stop matching. */
export async function bumpRevision(env: Env, creatorId: string, ids: string[]) {
  if (!ids.length) return;
  const t = tenant(env.DB, creatorId);
  await t.db
    .update(knowledgeBases)
    .set({ revision: sql`${knowledgeBases.revision} + 1` })
    .where(and(t.where(knowledgeBases), inArray(knowledgeBases.id, ids)))
    .run();
}
