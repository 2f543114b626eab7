// Analytics answers from rollups: the overview (creator-hub-api.md), the coaching dashboard
// metrics, detailed time series and the support dashboard (customer-support-platform-api.md).
import type { Env } from "../../env";
import { clock, DAY, HOUR } from "../../lib/clock";
import { invalid } from "../../lib/errors";
import { hllCount } from "./hll";
import type { SegmentDimension } from "./segments";
import { addInto, channelName, type Counters, ratio, Reads, type RollupRow, zero } from "./read";

const PERIOD_DAYS = { "7d": 7, "30d": 30, "90d": 90, "1y": 365 } as const;
export type Period = keyof typeof PERIOD_DAYS;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startOfDay = (ms: number) => Date.parse(`${dayOf(ms)}T00:00:00Z`);

/** The period ends today (inclusive) and starts N-1 days before; the previous one is just before it. */
function periodRange(days: number) {
  const end = startOfDay(clock.now()) + DAY;
  return { from: end - days * DAY, to: end, prevFrom: end - 2 * days * DAY };
}

const summarize = (rows: Counters[]) => rows.reduce<Counters>((acc, r) => addInto(acc, r), zero());

function trend(now: number | null, before: number | null): "increasing" | "decreasing" | "stable" | null {
  if (now === null || before === null) return null;
  if (before === 0) return now > 0 ? "increasing" : "stable";
  const change = (now - before) / Math.abs(before);
  return change > 0.05 ? "increasing" : change < -0.05 ? "decreasing" : "stable";
}

function metricsOf(c: Counters) {
  return {
    interactions: c.user_messages + c.ai_messages + c.agent_messages,
    engagement: ratio(c.engaged_conversations, c.conversations),
    csat: ratio(c.rating_sum, c.rating_count, 2),
    responseSeconds: ratio(c.response_seconds, c.response_count, 2),
    humanReplySeconds: ratio(c.human_reply_seconds, c.human_reply_count, 2),
    resolutionSeconds: ratio(c.resolution_seconds, c.resolved, 2),
  };
}

async function periodData(env: Env, creatorId: string, days: number) {
  const { from, to, prevFrom } = periodRange(days);
  const reads = new Reads(env);
  const fromIso = new Date(from).toISOString();
  const [rows, allTime, active, programs] = await reads.batch<[RollupRow, { users: number }, { registers: string }, { program_id: string; name: string; enrollments: number; completed: number; completed_in_period: number }]>([
    reads.rollups(creatorId, "d", dayOf(prevFrom), dayOf(to)),
    env.DB.prepare("SELECT coalesce(sum(new_users), 0) AS users FROM analytics_rollups WHERE creator_id = ? AND granularity = 'd' AND bucket < ?").bind(creatorId, dayOf(to)),
    // Active users: one HyperLogLog sketch per day of the period, merged (not a read of every user).
    env.DB.prepare("SELECT registers FROM analytics_active_users WHERE creator_id = ? AND day >= ? AND day < ?").bind(creatorId, dayOf(from), dayOf(to)),
    env.DB.prepare(
      `SELECT e.program_id, p.name, count(*) AS enrollments, sum(e.status = 'completed') AS completed,
              sum(e.completed_at >= ?2) AS completed_in_period
       FROM program_enrollments e JOIN programs p ON p.id = e.program_id AND p.creator_id = e.creator_id
       WHERE e.creator_id = ?1 GROUP BY e.program_id ORDER BY enrollments DESC`,
    ).bind(creatorId, fromIso),
  ]);
  const current = summarize(rows.filter((r) => r.bucket >= dayOf(from)));
  const previous = summarize(rows.filter((r) => r.bucket < dayOf(from)));
  return { current, previous, rows, totalUsers: Number(allTime[0]?.users ?? 0), activeUsers: hllCount(active.map((r) => r.registers)), programs, reads, from, to };
}

export async function overview(env: Env, creatorId: string, period: Period) {
  const d = await periodData(env, creatorId, PERIOD_DAYS[period]);
  const now = metricsOf(d.current);
  const before = metricsOf(d.previous);
  const body = {
    period,
    date_range: { start_date: dayOf(d.from), end_date: dayOf(d.to - DAY) },
    summary: {
      total_users: d.totalUsers,
      new_users: d.current.new_users,
      active_users: d.activeUsers,
      total_conversations: d.current.conversations,
      total_interactions: now.interactions,
      ai_interactions: d.current.ai_messages,
      human_escalations: d.current.handovers,
      // The share of conversations where the visitor wrote more than once.
      average_engagement_score: now.engagement,
      average_response_time_seconds: now.responseSeconds,
      program_completions: d.programs.reduce((a, p) => a + Number(p.completed_in_period ?? 0), 0),
      user_satisfaction_score: now.csat,
    },
    trends: {
      user_growth_rate: ratio(d.current.new_users - d.previous.new_users, d.previous.new_users),
      interaction_growth_rate: ratio(now.interactions - before.interactions, before.interactions),
      engagement_trend: trend(now.engagement, before.engagement),
      satisfaction_trend: trend(now.csat, before.csat),
    },
    top_programs: d.programs.slice(0, 5).map((p) => ({
      program_id: p.program_id,
      program_name: p.name,
      enrollments: Number(p.enrollments),
      completion_rate: ratio(Number(p.completed), Number(p.enrollments)),
    })),
  };
  return { body, rowsRead: d.reads.rowsRead };
}

/** coaching-platform-services.md "Analytics dashboard": the last 30 days against the 30 before. */
export async function dashboardMetrics(env: Env, creatorId: string) {
  const d = await periodData(env, creatorId, 30);
  const now = metricsOf(d.current);
  const before = metricsOf(d.previous);
  const body = {
    period: "30d",
    users: { total: d.totalUsers, active: d.activeUsers, new: d.current.new_users, growth_rate: ratio(d.current.new_users - d.previous.new_users, d.previous.new_users) },
    conversations: { total: d.current.conversations, handovers: d.current.handovers, resolved: d.current.resolved, resolved_by_ai: d.current.ai_resolved },
    messages: {
      total: now.interactions,
      from_users: d.current.user_messages,
      ai_answers: d.current.ai_messages,
      agent_replies: d.current.agent_messages,
      growth_rate: ratio(now.interactions - before.interactions, before.interactions),
    },
    average_response_time_seconds: now.responseSeconds,
    engagement_rate: now.engagement,
    user_satisfaction_score: now.csat,
    program_completions: d.programs.reduce((a, p) => a + Number(p.completed_in_period ?? 0), 0),
  };
  return { body, rowsRead: d.reads.rowsRead };
}

// ---- detailed time series

/** Each metric: a value from a bucket's counters (sums or ratios of sums). */
const METRICS: Record<string, { value: (c: Counters) => number | null; ratio?: true }> = {
  users: { value: (c) => c.new_users },
  interactions: { value: (c) => c.user_messages + c.ai_messages + c.agent_messages },
  user_messages: { value: (c) => c.user_messages },
  ai_interactions: { value: (c) => c.ai_messages },
  agent_messages: { value: (c) => c.agent_messages },
  unanswered: { value: (c) => c.unanswered },
  conversations: { value: (c) => c.conversations },
  escalations: { value: (c) => c.handovers },
  resolutions: { value: (c) => c.resolved },
  ai_resolved: { value: (c) => c.ai_resolved },
  engagement: { value: (c) => ratio(c.engaged_conversations, c.conversations), ratio: true },
  response_time: { value: (c) => ratio(c.response_seconds, c.response_count, 2), ratio: true },
  human_reply_time: { value: (c) => ratio(c.human_reply_seconds, c.human_reply_count, 2), ratio: true },
  resolution_time: { value: (c) => ratio(c.resolution_seconds, c.resolved, 2), ratio: true },
  satisfaction: { value: (c) => ratio(c.rating_sum, c.rating_count, 2), ratio: true },
};
export const DETAILED_METRICS = Object.keys(METRICS) as [string, ...string[]];
export type Granularity = "hour" | "day" | "week" | "month";
/** Hour series read hourly rollups: bounded so one request reads at most ~1,500 buckets per channel. */
const MAX_HOURLY_DAYS = 62;
const MAX_DAYS = 731;

function bucketOf(granularity: Granularity, stored: string): string {
  if (granularity === "hour" || granularity === "day") return stored;
  if (granularity === "month") return stored.slice(0, 7);
  // ISO weeks start on Monday: the bucket is the Monday's date.
  const ms = Date.parse(`${stored}T00:00:00Z`);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  return dayOf(ms - weekday * DAY);
}

function bucketsBetween(granularity: Granularity, from: number, to: number): string[] {
  const out: string[] = [];
  if (granularity === "hour") {
    for (let ms = from; ms < to; ms += HOUR) out.push(new Date(ms).toISOString().slice(0, 13));
    return out;
  }
  const seen = new Set<string>();
  for (let ms = from; ms < to; ms += DAY) {
    const b = bucketOf(granularity, dayOf(ms));
    if (!seen.has(b)) {
      seen.add(b);
      out.push(b);
    }
  }
  return out;
}

export async function detailed(
  env: Env,
  creatorId: string,
  q: { metric: string; granularity: Granularity; segment?: "channel" | SegmentDimension; start_date?: string; end_date?: string },
) {
  const metric = METRICS[q.metric]!;
  const defaultDays = q.granularity === "hour" ? 2 : 30;
  const endDay = q.end_date ?? dayOf(clock.now());
  const startDay = q.start_date ?? dayOf(Date.parse(`${endDay}T00:00:00Z`) - (defaultDays - 1) * DAY);
  const from = Date.parse(`${startDay}T00:00:00Z`);
  const to = Date.parse(`${endDay}T00:00:00Z`) + DAY;
  if (from >= to) throw invalid([{ field: "start_date", message: "Must not be after end_date" }]);
  const span = (to - from) / DAY;
  const limit = q.granularity === "hour" ? MAX_HOURLY_DAYS : MAX_DAYS;
  if (span > limit) throw invalid([{ field: "start_date", message: `A ${q.granularity} series covers at most ${limit} days` }]);
  const reads = new Reads(env);
  const grain = q.granularity === "hour" ? "h" : "d";
  const [fromKey, toKey] = grain === "h" ? [new Date(from).toISOString().slice(0, 13), new Date(to).toISOString().slice(0, 13)] : [dayOf(from), dayOf(to)];
  const dimension = q.segment === "program" || q.segment === "user_type" ? q.segment : null;
  const [rows, segmentRows = [], programs = []] = await reads.batch<[RollupRow, RollupRow, { id: string; name: string }]>([
    reads.rollups(creatorId, grain, fromKey, toKey),
    ...(dimension ? [reads.segmentRollups(creatorId, grain, dimension, fromKey, toKey)] : []),
    // Program segments are keyed by id; their names label them (one row per program of the creator).
    ...(dimension === "program" ? [env.DB.prepare("SELECT id, name FROM programs WHERE creator_id = ?").bind(creatorId)] : []),
  ]);
  const buckets = new Map<string, { all: Counters; bySegment: Map<string, Counters> }>();
  for (const b of bucketsBetween(q.granularity, from, to)) buckets.set(b, { all: zero(), bySegment: new Map() });
  const total = zero();
  const totalBySegment = new Map<string, Counters>();
  const addSegment = (into: Map<string, Counters>, key: string, r: Counters) => {
    if (!into.has(key)) into.set(key, zero());
    addInto(into.get(key)!, r);
  };
  for (const r of rows) {
    const slot = buckets.get(bucketOf(q.granularity, r.bucket));
    if (!slot) continue;
    addInto(slot.all, r);
    addInto(total, r);
    if (q.segment === "channel") {
      addSegment(slot.bySegment, channelName(r.channel), r);
      addSegment(totalBySegment, channelName(r.channel), r);
    }
  }
  for (const r of segmentRows) {
    const slot = buckets.get(bucketOf(q.granularity, r.bucket));
    if (!slot) continue;
    addSegment(slot.bySegment, r.channel, r);
    addSegment(totalBySegment, r.channel, r);
  }
  const segmented = q.segment !== undefined;
  const data = [...buckets].map(([date, slot]) => ({
    date,
    value: metric.value(slot.all),
    ...(segmented && { segments: Object.fromEntries([...slot.bySegment].map(([key, c]) => [key, metric.value(c)])) }),
  }));
  const values = data.filter((d) => d.value !== null) as { date: string; value: number }[];
  const peak = values.reduce<{ date: string; value: number } | null>((m, d) => (m === null || d.value > m.value ? d : m), null);
  const totalValue = metric.value(total);
  const body = {
    metric: q.metric,
    date_range: { start_date: startDay, end_date: endDay },
    granularity: q.granularity,
    ...(q.segment && { segment: q.segment }),
    data,
    totals: {
      total_value: totalValue,
      // Ratios (times, rates) have no meaningful per-bucket average of their own: the overall ratio.
      average_per_bucket: metric.ratio ? totalValue : ratio(values.reduce((a, d) => a + d.value, 0), data.length, 2),
      peak_value: peak?.value ?? null,
      peak_date: peak?.date ?? null,
      ...(segmented && { segments: Object.fromEntries([...totalBySegment].map(([key, c]) => [key, metric.value(c)])) }),
    },
    // What each segment key means: a program's name (`none`: no running program), or new/returning users.
    ...(dimension && { segment_labels: segmentLabels(dimension, [...totalBySegment.keys()], programs) }),
  };
  return { body, rowsRead: reads.rowsRead };
}

const USER_TYPE_LABELS: Record<string, string> = { new: "New users (first conversation)", returning: "Returning users", unknown: "Without an end user" };

function segmentLabels(dimension: SegmentDimension, keys: string[], programs: { id: string; name: string }[]): Record<string, string> {
  const names = new Map(programs.map((p) => [p.id, p.name]));
  return Object.fromEntries(
    keys.map((k) => [k, dimension === "program" ? (k === "none" ? "No program" : (names.get(k) ?? "Deleted program")) : (USER_TYPE_LABELS[k] ?? k)]),
  );
}

// ---- the support dashboard

export async function supportDashboard(env: Env, creatorId: string, q: { startDate?: string; endDate?: string }) {
  const endDay = q.endDate ?? dayOf(clock.now());
  const startDay = q.startDate ?? dayOf(Date.parse(`${endDay}T00:00:00Z`) - 29 * DAY);
  const from = Date.parse(`${startDay}T00:00:00Z`);
  const to = Date.parse(`${endDay}T00:00:00Z`) + DAY;
  if (from >= to) throw invalid([{ field: "startDate", message: "Must not be after endDate" }]);
  if ((to - from) / DAY > MAX_DAYS) throw invalid([{ field: "startDate", message: `The range covers at most ${MAX_DAYS} days` }]);
  const reads = new Reads(env);
  const [rows, topics] = await reads.batch<[RollupRow, { topic: string; answers: number }]>([
    reads.rollups(creatorId, "d", dayOf(from), dayOf(to)),
    env.DB.prepare(
      `SELECT topic, sum(answers) AS answers FROM analytics_topics WHERE creator_id = ? AND day >= ? AND day < ?
       GROUP BY topic ORDER BY answers DESC LIMIT 10`,
    ).bind(creatorId, dayOf(from), dayOf(to)),
  ]);
  const total = zero();
  const byChannel = new Map<string, Counters>();
  const byDay = new Map<string, Counters>();
  for (let ms = from; ms < to; ms += DAY) byDay.set(dayOf(ms), zero());
  for (const r of rows) {
    addInto(total, r);
    const ch = channelName(r.channel);
    if (!byChannel.has(ch)) byChannel.set(ch, zero());
    addInto(byChannel.get(ch)!, r);
    const d = byDay.get(r.bucket);
    if (d) addInto(d, r);
  }
  const m = metricsOf(total);
  const body = {
    period: { start: startDay, end: endDay },
    overview: {
      totalConversations: total.conversations,
      aiResolved: total.ai_resolved,
      resolved: total.resolved,
      agentHandovers: total.handovers,
      avgResponseTime: m.responseSeconds,
      avgFirstHumanReplyTime: m.humanReplySeconds,
      avgResolutionTime: m.resolutionSeconds,
      avgSatisfactionScore: m.csat,
      ratings: total.rating_count,
    },
    byChannel: Object.fromEntries(
      [...byChannel].map(([ch, c]) => [ch, { conversations: c.conversations, aiResolved: c.ai_resolved, agentHandovers: c.handovers, avgSatisfactionScore: ratio(c.rating_sum, c.rating_count, 2) }]),
    ),
    byDay: [...byDay].map(([date, c]) => ({
      date,
      conversations: c.conversations,
      aiResolved: c.ai_resolved,
      agentHandovers: c.handovers,
      avgFirstHumanReplyTime: ratio(c.human_reply_seconds, c.human_reply_count, 2),
      avgSatisfactionScore: ratio(c.rating_sum, c.rating_count, 2),
    })),
    topTopics: topics.map((t) => ({ topic: t.topic, answers: Number(t.answers) })),
  };
  return { body, rowsRead: reads.rowsRead };
}
