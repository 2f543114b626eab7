// GDPR rights of one end user (the creator's audience): erase everything held about them, or export it.
// Driven by the ownership registry's `endUser` conditions (src/db/owned-tables.ts), so tables that
// modules add later are covered by adding their line there.
import { conversationR2Prefix, ownedTables } from "../../db/ownership";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { log } from "../../lib/logging";
import { eraseConversationObjects } from "../gdpr";
import "../../db/owned-tables";

async function assertOwned(env: Env, creatorId: string, userId: string): Promise<void> {
  const row = await env.DB.prepare("SELECT id FROM end_users WHERE id = ? AND creator_id = ?").bind(userId, creatorId).first();
  if (!row) throw notFound("User");
}

async function conversationIds(env: Env, creatorId: string, userId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT id FROM conversations WHERE creator_id = ? AND end_user_id = ?").bind(creatorId, userId).raw<[string]>();
  return rows.map((r) => r[0]);
}

const endUserTables = () => ownedTables().filter((t) => t.endUser !== undefined);

/**
 * Erases one end user: their conversation objects (transcripts, sockets) first so nothing writes
 * back, then every registered row (children before parents), their conversations' files, and the
 * objects once more in case a message landed in between.
 */
export async function eraseEndUser(env: Env, creatorId: string, userId: string): Promise<Record<string, number>> {
  await assertOwned(env, creatorId, userId);
  const ids = await conversationIds(env, creatorId, userId);
  const summary: Record<string, number> = { conversation_objects: await eraseConversationObjects(env, creatorId, ids) };
  for (const owned of [...endUserTables()].reverse()) {
    const res = await env.DB.prepare(`DELETE FROM ${owned.table} WHERE ${owned.column} = ? AND (${owned.endUser})`).bind(creatorId, userId).run();
    summary[owned.table] = res.meta.changes ?? 0;
  }
  let files = 0;
  for (const id of ids) {
    for (;;) {
      const list = await env.FILES.list({ prefix: conversationR2Prefix(creatorId, id), limit: 1000 });
      if (!list.objects.length) break;
      await env.FILES.delete(list.objects.map((o) => o.key));
      files += list.objects.length;
    }
  }
  summary.r2_objects = files;
  await eraseConversationObjects(env, creatorId, ids);
  log("info", "gdpr.end_user.erased", { creator_id: creatorId, summary });
  return summary;
}

/** Everything held about one end user: their rows of every registered table (redacted columns left out) and files. */
export async function exportEndUser(env: Env, creatorId: string, userId: string) {
  await assertOwned(env, creatorId, userId);
  const data: Record<string, Record<string, unknown>[]> = {};
  for (const owned of endUserTables()) {
    const rows = await env.DB.prepare(`SELECT * FROM ${owned.table} WHERE ${owned.column} = ? AND (${owned.endUser})`).bind(creatorId, userId).all<Record<string, unknown>>();
    data[owned.table] = rows.results.map((row) => {
      for (const col of owned.redact ?? []) delete row[col];
      return row;
    });
  }
  const files: { key: string; size: number; uploaded: string }[] = [];
  for (const id of await conversationIds(env, creatorId, userId)) {
    let cursor: string | undefined;
    do {
      const list = await env.FILES.list({ prefix: conversationR2Prefix(creatorId, id), cursor });
      for (const o of list.objects) files.push({ key: o.key, size: o.size, uploaded: o.uploaded.toISOString() });
      cursor = list.truncated ? list.cursor : undefined;
    } while (cursor);
  }
  return { user_id: userId, creator_id: creatorId, exported_at: nowIso(), format_version: 1, data, files };
}
