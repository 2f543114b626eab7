// What a creator's gauges stand at now, read from D1: bytes stored (documents and conversation files),
// knowledge bases, team members.
// The UsageMeter reads them inside its serialized reservation (durable-objects/usage-meter.ts).
import { inArray, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversationFiles, documents, knowledgeBases, members } from "../../db/schema";
import type { GaugeLimit } from "../../config";

export async function gaugeValues(db: D1Database, creatorId: string): Promise<Record<GaugeLimit, number>> {
  const t = tenant(db, creatorId);
  const [storage, files, kbs, team] = await t.db.batch([
    t.db.select({ n: sql<number>`coalesce(sum(${documents.fileSizeBytes}), 0)` }).from(documents).where(t.where(documents)),
    // Files in conversations (uploads, channel media, mail attachments) are stored bytes too.
    t.db.select({ n: sql<number>`coalesce(sum(${conversationFiles.sizeBytes}), 0)` }).from(conversationFiles).where(t.where(conversationFiles)),
    t.db.select({ n: sql<number>`count(*)` }).from(knowledgeBases).where(t.where(knowledgeBases)),
    t.db.select({ n: sql<number>`count(*)` }).from(members).where(t.where(members, inArray(members.status, ["active", "invited"]))),
  ]);
  return { storage_bytes: (storage[0]?.n ?? 0) + (files[0]?.n ?? 0), knowledge_bases: kbs[0]?.n ?? 0, team_members: team[0]?.n ?? 0 };
}

/** The operator's overrides as D1 holds them (creators.plan_overrides): the source of truth. */
export async function storedOverrides(db: D1Database, creatorId: string): Promise<Record<string, unknown> | null> {
  const row = await db.prepare("SELECT plan_overrides FROM creators WHERE id = ?").bind(creatorId).first<{ plan_overrides: string | null }>();
  return row?.plan_overrides ? (JSON.parse(row.plan_overrides) as Record<string, unknown>) : null;
}
