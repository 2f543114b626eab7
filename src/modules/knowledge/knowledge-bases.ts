// Knowledge bases: create/list/get/update/delete, the creator's default base, and revision bumps
// (the search cache key includes revisions, so bumping one invalidates its cached searches).
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { documents, knowledgeBases, type KnowledgeBaseSettings } from "../../db/schema";
import type { Env } from "../../env";
import { aiProvider } from "../../ai/providers";
import { nowIso } from "../../lib/clock";
import { invalid, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { removeDocument } from "./documents";
import { checkEmbeddingModel } from "./embedding-model";

type KbRow = typeof knowledgeBases.$inferSelect;

export interface KbInput {
  name: string;
  description?: string | null;
  settings?: Partial<KnowledgeBaseSettings>;
  audience?: "public" | "internal";
}

function defaultSettings(env: Env): KnowledgeBaseSettings {
  return { chunk_size: 1000, chunk_overlap: 200, embedding_model: aiProvider(env).embeddingModel };
}

async function checkSettings(env: Env, s: KnowledgeBaseSettings, asked: string | undefined) {
  if (s.chunk_overlap >= s.chunk_size) {
    throw invalid([{ field: "settings.chunk_overlap", message: "Must be smaller than chunk_size" }]);
  }
  // Issue 14: embedding_model is honoured or refused, never stored and ignored. Every chunk of the
  // deployment lives in one vector space (AI_PROVIDER's embedding model): that model is honoured
  // (also as provider:id); another one, even one a configured provider serves, is a 422 saying why.
  if (asked !== undefined) s.embedding_model = await checkEmbeddingModel(env, asked);
}

async function stats(env: Env, creatorId: string, ids: string[]) {
  const t = tenant(env.DB, creatorId);
  const map = new Map<string, { count: number; size: number }>();
  if (!ids.length) return map;
  const rows = await t.db
    .select({ kb: documents.knowledgeBaseId, count: sql<number>`count(*)`, size: sql<number>`coalesce(sum(${documents.fileSizeBytes}), 0)` })
    .from(documents)
    .where(t.where(documents, inArray(documents.knowledgeBaseId, ids)))
    .groupBy(documents.knowledgeBaseId)
    .all();
  for (const r of rows) map.set(r.kb, { count: r.count, size: r.size });
  return map;
}

function present(row: KbRow, s?: { count: number; size: number }) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    settings: row.settings,
    is_default: row.isDefault,
    audience: row.audience,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    document_count: s?.count ?? 0,
    total_size_bytes: s?.size ?? 0,
  };
}

export async function createKnowledgeBase(env: Env, creatorId: string, input: KbInput, isDefault = false) {
  const settings = { ...defaultSettings(env), ...input.settings };
  await checkSettings(env, settings, input.settings?.embedding_model);
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .insert(knowledgeBases)
    .values({ id: newId(), creatorId, name: input.name, description: input.description ?? null, settings, isDefault, audience: input.audience ?? "public" })
    .returning()
    .get();
  return present(row);
}

export async function listKnowledgeBases(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(knowledgeBases).where(t.where(knowledgeBases)).orderBy(asc(knowledgeBases.createdAt)).all();
  const s = await stats(env, creatorId, rows.map((r) => r.id));
  return { knowledge_bases: rows.map((r) => present(r, s.get(r.id))), total: rows.length };
}

export async function findKnowledgeBase(env: Env, creatorId: string, id: string): Promise<KbRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(knowledgeBases).where(t.where(knowledgeBases, eq(knowledgeBases.id, id))).get();
  if (!row) throw notFound("Knowledge base");
  return row;
}

export async function getKnowledgeBase(env: Env, creatorId: string, id: string) {
  const row = await findKnowledgeBase(env, creatorId, id);
  return present(row, (await stats(env, creatorId, [id])).get(id));
}

export async function updateKnowledgeBase(env: Env, creatorId: string, id: string, input: Partial<KbInput>) {
  const current = await findKnowledgeBase(env, creatorId, id);
  const settings = { ...current.settings, ...input.settings };
  await checkSettings(env, settings, input.settings?.embedding_model);
  const t = tenant(env.DB, creatorId);
  // New chunk settings apply to documents uploaded or reprocessed from now on.
  await t.db
    .update(knowledgeBases)
    .set({
      ...(input.name !== undefined && { name: input.name }),
      ...(input.description !== undefined && { description: input.description }),
      ...(input.audience !== undefined && { audience: input.audience }),
      settings,
      revision: sql`${knowledgeBases.revision} + 1`,
      updatedAt: nowIso(),
    })
    .where(t.where(knowledgeBases, eq(knowledgeBases.id, id)))
    .run();
  return getKnowledgeBase(env, creatorId, id);
}

export async function deleteKnowledgeBase(env: Env, creatorId: string, id: string) {
  await findKnowledgeBase(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  for (;;) {
    const docs = await t.db.select().from(documents).where(t.where(documents, eq(documents.knowledgeBaseId, id))).limit(50).all();
    for (const doc of docs) await removeDocument(env, creatorId, doc);
    if (docs.length < 50) break;
  }
  await t.db.delete(knowledgeBases).where(t.where(knowledgeBases, eq(knowledgeBases.id, id))).run();
  return { message: "Knowledge base deleted successfully" };
}

/** The base the older /api/v1/creators/knowledge/* paths use: created on first use. */
export async function defaultKnowledgeBase(env: Env, creatorId: string): Promise<KbRow> {
  const t = tenant(env.DB, creatorId);
  const existing = await t.db
    .select()
    .from(knowledgeBases)
    .where(t.where(knowledgeBases, eq(knowledgeBases.isDefault, true)))
    .orderBy(asc(knowledgeBases.createdAt))
    .get();
  if (existing) return existing;
  const created = await createKnowledgeBase(env, creatorId, { name: "Default knowledge base", description: "Documents uploaded without a knowledge base" }, true);
  return findKnowledgeBase(env, creatorId, created.id);
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
