// Memories per end user, per creator: upsert by (user, type, key), read (expired entries excluded,
// last access recorded), delete. The end user must be the creator's (else 404).
import { and, eq, gt, isNull, or, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { endUserMemories, endUsers } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { StoreMemoryInput } from "./schemas";

type Row = typeof endUserMemories.$inferSelect;
type MemoryType = Row["type"];

async function requireEndUser(env: Env, creatorId: string, userId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ id: endUsers.id }).from(endUsers).where(t.where(endUsers, eq(endUsers.id, userId))).get();
  if (!row) throw notFound("End user");
}

function present(r: Row) {
  return {
    id: r.id,
    type: r.type,
    key: r.key,
    value: r.value,
    metadata: { ...r.metadata, created_at: r.createdAt, updated_at: r.updatedAt, last_accessed: r.lastAccessedAt },
    expires_at: r.expiresAt,
  };
}

/** Stores a memory (replacing the value of the same user, type and key). */
export async function storeMemory(env: Env, creatorId: string, input: StoreMemoryInput) {
  await requireEndUser(env, creatorId, input.user_id);
  return remember(env, creatorId, input.user_id, input.type, input.key, input.value, input.metadata ?? {}, input.ttl);
}

/** The same upsert for the assistant itself (no end-user check: the caller has the end user). */
export async function remember(env: Env, creatorId: string, userId: string, type: MemoryType, key: string, value: unknown, metadata: Record<string, unknown> = {}, ttl?: number) {
  const t = tenant(env.DB, creatorId);
  const now = nowIso();
  const expiresAt = ttl ? new Date(Date.now() + ttl * 1000).toISOString() : null;
  const row = await t.db
    .insert(endUserMemories)
    .values({ id: newId(), creatorId, endUserId: userId, type, key, value: value ?? null, metadata, expiresAt, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [endUserMemories.creatorId, endUserMemories.endUserId, endUserMemories.type, endUserMemories.key],
      set: { value: value ?? null, metadata, expiresAt, updatedAt: now },
    })
    .returning()
    .get();
  return { id: row.id, status: "stored" as const, user_id: userId, type };
}

/** The user's live memories, optionally of one type and/or key. */
export async function recall(env: Env, creatorId: string, userId: string, filter: { type?: MemoryType; key?: string } = {}) {
  const t = tenant(env.DB, creatorId);
  const now = nowIso();
  const rows = await t.db
    .select()
    .from(endUserMemories)
    .where(
      t.where(
        endUserMemories,
        eq(endUserMemories.endUserId, userId),
        filter.type ? eq(endUserMemories.type, filter.type) : undefined,
        filter.key ? eq(endUserMemories.key, filter.key) : undefined,
        or(isNull(endUserMemories.expiresAt), gt(endUserMemories.expiresAt, now)),
      ),
    )
    .orderBy(endUserMemories.type, endUserMemories.key)
    .limit(500)
    .all();
  return rows;
}

export async function getMemories(env: Env, creatorId: string, userId: string, filter: { type?: MemoryType; key?: string }) {
  await requireEndUser(env, creatorId, userId);
  const rows = await recall(env, creatorId, userId, filter);
  if (rows.length) {
    const t = tenant(env.DB, creatorId);
    await t.db
      .update(endUserMemories)
      .set({ lastAccessedAt: nowIso() })
      .where(t.where(endUserMemories, eq(endUserMemories.endUserId, userId), sql`${endUserMemories.id} IN (${sql.join(rows.map((r) => sql`${r.id}`), sql`, `)})`))
      .run();
  }
  return { user_id: userId, memories: rows.map(present) };
}

export async function deleteMemories(env: Env, creatorId: string, userId: string, filter: { type?: MemoryType; key?: string; id?: string }) {
  await requireEndUser(env, creatorId, userId);
  const t = tenant(env.DB, creatorId);
  const deleted = await t.db
    .delete(endUserMemories)
    .where(
      t.where(
        endUserMemories,
        and(
          eq(endUserMemories.endUserId, userId),
          filter.type ? eq(endUserMemories.type, filter.type) : undefined,
          filter.key ? eq(endUserMemories.key, filter.key) : undefined,
          filter.id ? eq(endUserMemories.id, filter.id) : undefined,
        ),
      ),
    )
    .returning({ id: endUserMemories.id })
    .all();
  if (filter.id && !deleted.length) throw notFound("Memory");
  return { deleted: deleted.length };
}
