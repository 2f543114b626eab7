// GDPR: export every row a creator owns (each module registers its tables), and erase it all via the queue.
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../../db/client";
import { creators, gdprRequests, members, sessions } from "../../db/schema";
import { ownedR2Prefixes, ownedTables } from "../../db/ownership";
import { vectorStore } from "../../ai/vector-store";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { forbidden, invalid, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { conversationStub } from "../../realtime";
import { verifyPassword } from "../auth";
import { openSecrets } from "../channels";
import { TelegramClient } from "../channels";
import { config } from "../../config";
import type { AccessClaims } from "../auth";

const EXPORT_PAGE = 500;
const DELETE_SLICE = 5000;

export async function exportCreatorData(env: Env, creatorId: string) {
  const data: Record<string, Record<string, unknown>[]> = {};
  for (const owned of ownedTables()) {
    const rows: Record<string, unknown>[] = [];
    // Paged by rowid so a large table never has to fit in one D1 response.
    let after = -1;
    for (;;) {
      const page = await env.DB.prepare(
        `SELECT rowid AS __rowid, * FROM ${owned.table} WHERE ${owned.column} = ? AND rowid > ? ORDER BY rowid LIMIT ${EXPORT_PAGE}`,
      )
        .bind(creatorId, after)
        .all<Record<string, unknown>>();
      for (const row of page.results) {
        after = row.__rowid as number;
        delete row.__rowid;
        for (const col of owned.redact ?? []) delete row[col];
        rows.push(row);
      }
      if (page.results.length < EXPORT_PAGE) break;
    }
    data[owned.table] = rows;
  }
  const files: { key: string; size: number; uploaded: string }[] = [];
  for (const prefix of ownedR2Prefixes(creatorId)) {
    let cursor: string | undefined;
    do {
      const list = await env.FILES.list({ prefix, cursor });
      for (const o of list.objects) files.push({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() });
      cursor = list.truncated ? list.cursor : undefined;
    } while (cursor);
  }
  return { creator_id: creatorId, exported_at: nowIso(), format_version: 1, data, files };
}

/**
 * Owner only, password re-entered. From this moment the account can't sign in and every session is
 * revoked; the erasure itself runs on the queue. Asking again while it runs returns the same request.
 */
export async function requestDeletion(env: Env, actor: AccessClaims, password: string) {
  if (actor.role !== "owner") throw forbidden("Only the workspace owner can delete it");
  const db = getDb(env.DB);
  const owner = await db
    .select()
    .from(members)
    .where(and(eq(members.id, actor.sub), eq(members.creatorId, actor.creator_id)))
    .get();
  if (!owner) throw notFound("Account");
  if (!(await verifyPassword(password, owner.passwordHash))) {
    throw invalid([{ field: "password", message: "Password is incorrect" }]);
  }
  const now = nowIso();
  // The partial unique index keeps one pending request per creator; a racing second insert is a no-op.
  await db.batch([
    db.insert(gdprRequests).values({ id: newId(), creatorId: actor.creator_id, kind: "deletion", status: "pending", requestedAt: now }).onConflictDoNothing(),
    db.update(creators).set({ status: "deleting", updatedAt: now }).where(eq(creators.id, actor.creator_id)),
    db.update(sessions).set({ revokedAt: now, revokedReason: "account_deletion" }).where(and(eq(sessions.creatorId, actor.creator_id), isNull(sessions.revokedAt))),
  ]);
  const request = await db
    .select()
    .from(gdprRequests)
    .where(and(eq(gdprRequests.creatorId, actor.creator_id), eq(gdprRequests.status, "pending")))
    .get();
  if (!request) throw new Error("pending deletion request vanished");
  await env.JOBS.send({ type: "gdpr.delete", creatorId: actor.creator_id, requestId: request.id });
  return { request_id: request.id, status: "pending" as const, requested_at: request.requestedAt };
}

/**
 * The queue job. Idempotent: running it twice (a retry) deletes nothing more and completes once.
 * Order matters: writers are stopped first (the creator's status is `deleting` since the request:
 * sessions, logins, channel jobs and ingestion refuse it), then Telegram stops delivering, then
 * D1 rows, R2 objects, vectors and every conversation object's storage go, then a second sweep
 * catches whatever an in-flight writer (a socket mid-message, a job already running) added meanwhile.
 */
export async function eraseCreator(env: Env, creatorId: string, requestId: string): Promise<void> {
  await env.DB.prepare("UPDATE creators SET status = 'deleting' WHERE id = ?").bind(creatorId).run();
  await stopTelegramWebhooks(env, creatorId);
  const summary: Record<string, number> = {};
  for (let pass = 0; pass < 2; pass++) {
    const conversationIds = await ownedConversationIds(env, creatorId);
    const counts = await eraseStores(env, creatorId);
    counts.conversation_objects = await eraseConversationObjects(env, creatorId, conversationIds);
    for (const [k, v] of Object.entries(counts)) summary[k] = (summary[k] ?? 0) + v;
  }
  await env.DB.prepare(
    "UPDATE gdpr_requests SET status = 'completed', completed_at = ?, summary = ? WHERE id = ? AND creator_id = ? AND status = 'pending'",
  )
    .bind(nowIso(), JSON.stringify(summary), requestId, creatorId)
    .run();
  log("info", "gdpr.erasure.completed", { request_id: requestId, creator_id: creatorId, summary });
}

/** D1 rows of every owned table, R2 objects under the creator's prefixes, and vectors. */
async function eraseStores(env: Env, creatorId: string): Promise<Record<string, number>> {
  const summary: Record<string, number> = {};
  // Vectors first: Vectorize deletes by chunk id, and the ids are read from the chunk rows below.
  await vectorStore(env).deleteAll(creatorId, () => chunkIdPages(env, creatorId));
  for (const owned of [...ownedTables()].reverse()) {
    if (owned.keepOnDeletion) continue;
    summary[owned.table] = await deleteWhere(env, owned.table, owned.column, creatorId);
  }
  let files = 0;
  for (const prefix of ownedR2Prefixes(creatorId)) {
    for (;;) {
      const list = await env.FILES.list({ prefix, limit: 1000 });
      if (list.objects.length === 0) break;
      await env.FILES.delete(list.objects.map((o) => o.key));
      files += list.objects.length;
    }
  }
  summary.r2_objects = files;
  return summary;
}

/** In slices, so a very large table never runs into D1's per-query limits. `table`/`column` are registry constants. */
export async function deleteWhere(env: Env, table: string, column: string, value: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const res = await env.DB.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} = ? LIMIT ${DELETE_SLICE})`)
      .bind(value)
      .run();
    const changes = res.meta.changes ?? 0;
    deleted += changes;
    if (changes < DELETE_SLICE) return deleted;
  }
}

async function ownedConversationIds(env: Env, creatorId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT id FROM conversations WHERE creator_id = ?").bind(creatorId).raw<[string]>();
  return rows.map((r) => r[0]);
}

/** Each conversation object closes its sockets and deletes its whole storage (its transcript). */
export async function eraseConversationObjects(env: Env, creatorId: string, ids: string[]): Promise<number> {
  let erased = 0;
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        await conversationStub(env, id).erase(id, creatorId);
        erased++;
      }),
    );
  }
  return erased;
}

/** Telegram keeps pushing updates to a bot's webhook until told otherwise: tell it (best effort). */
async function stopTelegramWebhooks(env: Env, creatorId: string): Promise<void> {
  const rows = await env.DB.prepare("SELECT id, secrets FROM channels WHERE creator_id = ? AND type = 'telegram'").bind(creatorId).all<{ id: string; secrets: string | null }>();
  for (const row of rows.results) {
    try {
      const secrets = await openSecrets(env, row.secrets);
      if (!secrets.bot_token) continue;
      const res = await new TelegramClient(config(env).channels.telegramApiBaseUrl, secrets.bot_token).deleteWebhook();
      if (!res.answer.ok) log("warn", "gdpr: telegram deleteWebhook refused", { channel_id: row.id, detail: res.answer.description });
    } catch (err) {
      // A revoked bot token can't delete its webhook; updates that still come find no channel (401).
      log("warn", "gdpr: telegram deleteWebhook failed", { channel_id: row.id, error: String(err) });
    }
  }
}

/** The creator's chunk ids, a page at a time (keyset on seq). */
async function* chunkIdPages(env: Env, creatorId: string): AsyncIterable<string[]> {
  let after = -1;
  for (;;) {
    const rows = await env.DB.prepare("SELECT seq, id FROM knowledge_chunks WHERE creator_id = ? AND seq > ? ORDER BY seq LIMIT 1000")
      .bind(creatorId, after)
      .raw<[number, string]>();
    if (!rows.length) return;
    after = rows[rows.length - 1]![0];
    yield rows.map((r) => r[1]);
    if (rows.length < 1000) return;
  }
}

export async function deletionStatus(env: Env, requestId: string) {
  const row = await getDb(env.DB).select().from(gdprRequests).where(eq(gdprRequests.id, requestId)).get();
  if (!row) throw notFound("Deletion request");
  return { request_id: row.id, status: row.status, requested_at: row.requestedAt, completed_at: row.completedAt, summary: row.summary };
}
