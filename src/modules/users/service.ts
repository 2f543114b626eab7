// End users of a creator: list (filters, sort by engagement), details, profile updates.
import type { z } from "@hono/zod-openapi";
import type { Env } from "../../env";
import { clock, DAY } from "../../lib/clock";
import { notFound } from "../../lib/errors";
import { presentEnrollment } from "../programs";
import { ENGAGEMENT_WINDOW_DAYS, engagementSql } from "./engagement";
import type { ListUsersQuery, UpdateUserSchema } from "./schemas";
import { recordActivity } from "../analytics";

interface Row {
  id: string;
  external_id: string;
  channel: string;
  display_name: string | null;
  language: string | null;
  timezone: string | null;
  profile: string;
  tags: string;
  status: "active" | "unreachable" | "blocked";
  created_at: string;
  last_active_at: string | null;
  engagement_score: number;
  total_interactions: number;
  program_enrollments: number;
  opted_out: number;
}

// ?1 = creator, ?2 = now − 30 d (engagement window and "active"), ?3 = now.
const SELECT = `SELECT u.*, ${engagementSql("?2", "?3")} AS engagement_score,
  (SELECT count(*) FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE c.end_user_id = u.id) AS total_interactions,
  (SELECT count(*) FROM program_enrollments e WHERE e.end_user_id = u.id) AS program_enrollments,
  EXISTS (SELECT 1 FROM proactive_opt_outs o WHERE o.end_user_id = u.id) AS opted_out
  FROM end_users u`;

/** The API speaks the spec's channel names (creator-hub-api.md: web|whatsapp|telegram); the widget is stored as "widget". */
export const apiChannel = (stored: string): string => (stored === "widget" ? "web" : stored);
/** The stored channel for an API name ("web" or its alias "widget" → "widget"). */
export const storedChannel = (name: string): string => (name === "web" ? "widget" : name);

function present(row: Row, since: string) {
  const profile = JSON.parse(row.profile || "{}") as Record<string, unknown>;
  return {
    id: row.id,
    external_id: row.external_id,
    channel: apiChannel(row.channel),
    profile_data: { ...(row.display_name && profile.name === undefined ? { name: row.display_name } : {}), ...profile },
    tags: JSON.parse(row.tags || "[]") as string[],
    created_at: row.created_at,
    last_active_at: row.last_active_at,
    // Active = wrote or was seen within the engagement window (30 days).
    is_active: row.last_active_at !== null && row.last_active_at >= since,
    reachability: row.status,
    opted_out: Boolean(row.opted_out),
    engagement_score: row.engagement_score,
    total_interactions: row.total_interactions,
  };
}

const window = () => {
  const now = clock.now();
  return { now: new Date(now).toISOString(), since: new Date(now - ENGAGEMENT_WINDOW_DAYS * DAY).toISOString() };
};

export async function listUsers(env: Env, creatorId: string, q: z.infer<typeof ListUsersQuery>) {
  const { now, since } = window();
  const binds: unknown[] = [creatorId, since, now];
  const where = ["u.creator_id = ?1"];
  if (q.channel) binds.push(storedChannel(q.channel)), where.push(`u.channel = ?${binds.length}`);
  if (q.status === "active") where.push("u.last_active_at >= ?2");
  if (q.status === "inactive") where.push("(u.last_active_at IS NULL OR u.last_active_at < ?2)");
  if (q.search) {
    binds.push(`%${q.search.toLowerCase().replace(/[%_\\]/g, (m) => "\\" + m)}%`);
    const p = `?${binds.length}`;
    where.push(`(lower(COALESCE(u.display_name, '')) LIKE ${p} ESCAPE '\\' OR lower(u.external_id) LIKE ${p} ESCAPE '\\' OR lower(u.profile) LIKE ${p} ESCAPE '\\')`);
  }
  const order = q.order === "asc" ? "ASC" : "DESC";
  const sortExpr = q.sort === "engagement_score" ? "engagement_score" : q.sort === "last_active_at" ? "u.last_active_at" : "u.created_at";
  const whereSql = where.join(" AND ");
  const [rows, count] = await Promise.all([
    env.DB.prepare(`${SELECT} WHERE ${whereSql} ORDER BY ${sortExpr} ${order} NULLS LAST, u.id ${order} LIMIT ${q.limit} OFFSET ${(q.page - 1) * q.limit}`)
      .bind(...binds)
      .all<Row>(),
    // ?2 and ?3 mentioned so the count takes the same bindings as the page query.
    env.DB.prepare(`SELECT count(*) AS n FROM end_users u WHERE ?2 IS NOT NULL AND ?3 IS NOT NULL AND ${whereSql}`)
      .bind(...binds)
      .first<{ n: number }>(),
  ]);
  const total = count?.n ?? 0;
  return {
    users: rows.results.map((r) => ({ ...present(r, since), program_enrollments: r.program_enrollments })),
    pagination: { page: q.page, limit: q.limit, total, pages: Math.ceil(total / q.limit) },
  };
}

async function findRow(env: Env, creatorId: string, userId: string) {
  const { now, since } = window();
  const row = await env.DB.prepare(`${SELECT} WHERE u.creator_id = ?1 AND u.id = ?4`).bind(creatorId, since, now, userId).first<Row>();
  if (!row) throw notFound("User");
  return { row, since };
}

export async function getUser(env: Env, creatorId: string, userId: string) {
  const { row, since } = await findRow(env, creatorId, userId);
  const [enrolments, interactions, badges] = await Promise.all([
    env.DB.prepare(
      `SELECT e.*, p.name AS program_name FROM program_enrollments e JOIN programs p ON p.id = e.program_id
        WHERE e.creator_id = ? AND e.end_user_id = ? ORDER BY e.enrolled_at DESC`,
    )
      .bind(creatorId, userId)
      .all<Parameters<typeof presentEnrollment>[1] & { program_name: string }>(),
    env.DB.prepare(
      `SELECT m.id, m.sender, m.created_at, m.conversation_id, c.channel FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.creator_id = ? AND c.end_user_id = ? ORDER BY m.created_at DESC, m.seq DESC LIMIT 20`,
    )
      .bind(creatorId, userId)
      .all<{ id: string; sender: string; created_at: string; conversation_id: string; channel: string }>(),
    env.DB.prepare("SELECT badge_id, badge_name, earned_at, program_id FROM end_user_badges WHERE creator_id = ? AND end_user_id = ? ORDER BY earned_at")
      .bind(creatorId, userId)
      .all<{ badge_id: string; badge_name: string; earned_at: string; program_id: string | null }>(),
  ]);
  const programEnrollments = await Promise.all(
    enrolments.results.map(async (e) => {
      const p = await presentEnrollment(env, e, false);
      return { enrollment_id: p.enrollment_id, program_id: p.program_id, program_name: e.program_name, status: p.status, progress: p.progress, enrolled_at: p.enrolled_at };
    }),
  );
  return {
    ...present(row, since),
    timezone: row.timezone,
    language: row.language,
    program_enrollments: programEnrollments,
    recent_interactions: interactions.results.map((m) => ({
      id: m.id,
      interaction_type: m.sender === "user" ? ("message_sent" as const) : ("message_received" as const),
      sender: m.sender,
      created_at: m.created_at,
      channel: apiChannel(m.channel),
      conversation_id: m.conversation_id,
    })),
    badges_earned: badges.results,
  };
}

export async function updateUser(env: Env, creatorId: string, userId: string, input: z.infer<typeof UpdateUserSchema>) {
  const { row } = await findRow(env, creatorId, userId);
  const profile = input.profile_data ?? JSON.parse(row.profile || "{}");
  // profile_data.name is the name the assistant uses ({user_name}); keep display_name in step.
  const displayName = typeof profile.name === "string" && profile.name.trim() ? profile.name.trim() : row.display_name;
  await env.DB.prepare("UPDATE end_users SET profile = ?, display_name = ?, timezone = ?, language = ?, tags = ? WHERE id = ? AND creator_id = ?")
    .bind(
      JSON.stringify(profile),
      displayName,
      input.timezone === undefined ? row.timezone : input.timezone,
      input.language === undefined ? row.language : input.language,
      input.tags === undefined ? row.tags : JSON.stringify([...new Set(input.tags)]),
      userId,
      creatorId,
    )
    .run();
  await recordActivity(env, creatorId, "user.updated", { user_id: userId, changed: Object.keys(input).sort() });
  return getUser(env, creatorId, userId);
}
