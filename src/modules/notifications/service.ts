// In-app notifications for members: written per member it concerns, pushed live through the
// creator's inbox object; listing with the unread count, marking read.
import { and, count, desc, eq, inArray, isNull } from "drizzle-orm";
import { tenant } from "../../db/client";
import { members, notifications, type NotificationKind } from "../../db/schema";
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { inboxStub } from "./inbox";

type Role = "owner" | "admin" | "agent";

/** Who hears about what: conversations waiting for a human concern every member who answers them. */
const AUDIENCE: Record<NotificationKind, Role[]> = {
  handover: ["owner", "admin", "agent"],
  low_rating: ["owner", "admin", "agent"],
  document_failed: ["owner", "admin"],
  export_ready: ["owner", "admin"],
  quota_near: ["owner", "admin"],
  quota_reached: ["owner", "admin"],
  webhook_disabled: ["owner", "admin"],
  // Sent to the member who started the task (memberId), whatever their role.
  task_completed: ["owner", "admin", "agent"],
};

export interface NewNotification {
  kind: NotificationKind;
  title: string;
  body: string;
  data?: Record<string, unknown>;
  /** Only this member (an export's requester); otherwise the kind's audience. */
  memberId?: string;
}

export function presentNotification(r: typeof notifications.$inferSelect) {
  return { id: r.id, kind: r.kind, title: r.title, body: r.body, data: r.data, read: r.readAt !== null, read_at: r.readAt, created_at: r.createdAt };
}

/** Writes the notification for each member concerned and pushes it to their live inbox sockets. */
export async function notify(env: Env, creatorId: string, n: NewNotification): Promise<void> {
  const t = tenant(env.DB, creatorId);
  const audience = await t.db
    .select({ id: members.id })
    .from(members)
    .where(t.where(members, eq(members.status, "active"), n.memberId ? eq(members.id, n.memberId) : inArray(members.role, AUDIENCE[n.kind])))
    .all();
  if (!audience.length) return;
  const at = clock.iso();
  const rows = audience.map((m) => ({ id: newId(), creatorId, memberId: m.id, kind: n.kind, title: n.title, body: n.body, data: n.data ?? {}, createdAt: at }));
  await t.db.insert(notifications).values(rows).run();
  await inboxStub(env, creatorId).publish(
    rows.map((r) => ({ type: "notification", data: presentNotification({ ...r, readAt: null }), at, members: [r.memberId] })),
  );
}

export async function listNotifications(env: Env, creatorId: string, memberId: string, q: { limit: number; unread_only: boolean }) {
  const t = tenant(env.DB, creatorId);
  const mine = t.where(notifications, eq(notifications.memberId, memberId));
  const [rows, [unread]] = await Promise.all([
    t.db
      .select()
      .from(notifications)
      .where(q.unread_only ? and(mine, isNull(notifications.readAt)) : mine)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(q.limit)
      .all(),
    t.db.select({ n: count() }).from(notifications).where(and(mine, isNull(notifications.readAt))),
  ]);
  return { notifications: rows.map(presentNotification), unread_count: unread?.n ?? 0 };
}

export async function markRead(env: Env, creatorId: string, memberId: string, body: { ids?: string[]; all?: boolean }) {
  const t = tenant(env.DB, creatorId);
  const mine = t.where(notifications, eq(notifications.memberId, memberId), isNull(notifications.readAt));
  // Ids of other members' notifications simply match nothing.
  const where = body.all ? mine : and(mine, inArray(notifications.id, body.ids!));
  const changed = await t.db.update(notifications).set({ readAt: clock.iso() }).where(where).returning({ id: notifications.id }).all();
  const [unread] = await t.db
    .select({ n: count() })
    .from(notifications)
    .where(and(t.where(notifications, eq(notifications.memberId, memberId)), isNull(notifications.readAt)));
  return { marked: changed.length, unread_count: unread?.n ?? 0 };
}

/** A document whose ingestion failed: the owner and admins hear it (never fails the ingestion job). */
export async function notifyDocumentFailed(env: Env, creatorId: string, documentId: string, error: string): Promise<void> {
  await notify(env, creatorId, {
    kind: "document_failed",
    title: "A document could not be processed",
    body: error.slice(0, 300),
    data: { document_id: documentId },
  }).catch((err: unknown) => log("warn", "document_failed notification not written", { creator_id: creatorId, error: String(err) }));
}
