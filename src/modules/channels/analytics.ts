// Channel analytics from the D1 message mirror: messages, users, new users, response time,
// engagement and satisfaction (conversation ratings) over a date range, with a daily breakdown (creator-hub-api.md "Get Channel Analytics").
import type { Env } from "../../env";
import { DAY } from "../../lib/clock";
import { invalid } from "../../lib/errors";
import { ANALYTICS_METRICS } from "./schemas";
import { getChannel } from "./store";

const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function channelAnalytics(env: Env, creatorId: string, channelId: string, query: { start_date?: string; end_date?: string; metrics?: string }) {
  const channel = await getChannel(env, creatorId, channelId);
  const end = query.end_date ?? day(Date.now());
  const start = query.start_date ?? day(Date.parse(`${end}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY);
  const startMs = Date.parse(`${start}T00:00:00Z`);
  const endMs = Date.parse(`${end}T00:00:00Z`);
  if (startMs > endMs) throw invalid([{ field: "start_date", message: "Must not be after end_date" }]);
  if ((endMs - startMs) / DAY + 1 > MAX_RANGE_DAYS) throw invalid([{ field: "start_date", message: `The range can cover at most ${MAX_RANGE_DAYS} days` }]);
  const wanted = new Set(query.metrics ? query.metrics.split(",").map((m) => m.trim()) : ANALYTICS_METRICS);
  const from = `${start}T00:00:00.000Z`;
  const to = new Date(endMs + DAY).toISOString();

  // Every query joins conversations of this creator and this channel: tenancy and channel in one place.
  const scope = `FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.creator_id = ?1 AND c.channel_id = ?2
                 WHERE m.creator_id = ?1`;
  const binds = [creatorId, channel.id, from, to];
  const [daily, totals, firsts, response, engagedRows, ratings] = await env.DB.batch([
    env.DB.prepare(
      `SELECT substr(m.created_at, 1, 10) AS d, count(*) AS messages,
              count(DISTINCT CASE WHEN m.sender = 'user' THEN c.end_user_id END) AS users
       ${scope} AND m.created_at >= ?3 AND m.created_at < ?4 GROUP BY d`,
    ).bind(...binds),
    env.DB.prepare(
      `SELECT count(*) AS total, coalesce(sum(m.sender = 'user'), 0) AS inbound,
              count(DISTINCT CASE WHEN m.sender = 'user' THEN c.end_user_id END) AS users
       ${scope} AND m.created_at >= ?3 AND m.created_at < ?4`,
    ).bind(...binds),
    // New users: whose first message on this channel falls in the range.
    env.DB.prepare(
      `SELECT substr(first_at, 1, 10) AS d, count(*) AS n FROM (
         SELECT c.end_user_id, min(m.created_at) AS first_at ${scope} AND m.sender = 'user' GROUP BY c.end_user_id
       ) WHERE first_at >= ?3 AND first_at < ?4 GROUP BY d`,
    ).bind(...binds),
    // Response time: a user message and the AI or agent answer that directly follows it.
    env.DB.prepare(
      `SELECT avg((julianday(m.created_at) - julianday(u.created_at)) * 86400.0) AS avg_seconds
       FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.creator_id = ?1 AND c.channel_id = ?2
       JOIN messages u ON u.conversation_id = m.conversation_id AND u.seq = m.seq - 1 AND u.sender = 'user'
       WHERE m.creator_id = ?1 AND m.sender IN ('ai', 'agent') AND m.created_at >= ?3 AND m.created_at < ?4`,
    ).bind(...binds),
    // Engaged: users who wrote more than once in the range.
    env.DB.prepare(
      `SELECT count(*) AS engaged FROM (SELECT c.end_user_id ${scope} AND m.sender = 'user' AND m.created_at >= ?3 AND m.created_at < ?4
       GROUP BY c.end_user_id HAVING count(*) >= 2)`,
    ).bind(...binds),
    // CSAT: the mean 1–5 rating of this channel's conversations rated in the range (widget frame,
    // REST, Telegram inline keyboard, WhatsApp list/buttons).
    env.DB.prepare(
      `SELECT avg(r.score) AS score, count(*) AS n FROM conversation_ratings r
       JOIN conversations c ON c.id = r.conversation_id AND c.creator_id = ?1 AND c.channel_id = ?2
       WHERE r.creator_id = ?1 AND r.created_at >= ?3 AND r.created_at < ?4`,
    ).bind(...binds),
  ]);
  const t = (totals!.results[0] ?? {}) as { total: number; inbound: number; users: number };
  const r = { ...(response!.results[0] ?? {}), ...(engagedRows!.results[0] ?? {}) } as { avg_seconds?: number | null; engaged?: number };
  const newByDay = new Map((firsts!.results as { d: string; n: number }[]).map((x) => [x.d, Number(x.n)]));
  const byDay = new Map((daily!.results as { d: string; messages: number; users: number }[]).map((x) => [x.d, x]));
  const breakdown = [];
  for (let ms = startMs; ms <= endMs; ms += DAY) {
    const d = day(ms);
    const row = byDay.get(d);
    breakdown.push({ date: d, messages: Number(row?.messages ?? 0), users: Number(row?.users ?? 0), new_users: newByDay.get(d) ?? 0 });
  }
  const metrics: Record<string, number | null> = {};
  if (wanted.has("messages")) {
    metrics.total_messages = Number(t.total ?? 0);
    metrics.inbound_messages = Number(t.inbound ?? 0);
    metrics.outbound_messages = Number(t.total ?? 0) - Number(t.inbound ?? 0);
  }
  if (wanted.has("users")) {
    metrics.unique_users = Number(t.users ?? 0);
    metrics.new_users = [...newByDay.values()].reduce((a, b) => a + b, 0);
  }
  if (wanted.has("response_time")) metrics.average_response_time_seconds = r.avg_seconds === null || r.avg_seconds === undefined ? null : Math.round(r.avg_seconds * 100) / 100;
  if (wanted.has("engagement")) {
    // Share of the period's users who came back with more than one message.
    metrics.engagement_rate = t.users ? Math.round((Number(r.engaged) / Number(t.users)) * 1000) / 1000 : null;
    // Unknown (null) until someone rated, never invented.
    const csat = (ratings!.results[0] ?? {}) as { score?: number | null; n?: number };
    metrics.user_satisfaction_score = csat.n ? Math.round(Number(csat.score) * 100) / 100 : null;
  }
  return { channel_id: channel.id, date_range: { start_date: start, end_date: end }, metrics, daily_breakdown: breakdown };
}
