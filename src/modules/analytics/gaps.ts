// Knowledge gaps: the questions the assistant could not answer (a fallback answer, a handover, a low
// rating) are recorded as they happen, and grouped by shared meaning on read (embeddings of the
// configured provider, clustered by cosine similarity) with examples, counts and the trend.
import { and, desc, eq, gte } from "drizzle-orm";
import { detectIntent } from "../../ai/intent";
import { aiProvider } from "../../ai/providers";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { unansweredQuestions } from "../../db/schema";
import type { Env } from "../../env";
import { clock, DAY } from "../../lib/clock";
import { base64url, fromBase64url } from "../../lib/encoding";
import { NO_HINTS, type ConversationState, type MirrorHints, type StoredMessage } from "../../realtime";

/** Questions kept per creator (newest win: a recorder skips once the creator has this many). */
export const MAX_QUESTIONS_PER_CREATOR = 5000;
/** Questions one read clusters (the newest of the period and the one before it). */
const MAX_CLUSTERED = 2000;
const QUESTION_CHARS = 500;
const WATERMARK = "(SELECT last_seq FROM conversations WHERE id = ?3 AND creator_id = ?1)";
const UNDER_CAP = `(SELECT count(*) FROM unanswered_questions WHERE creator_id = ?1) < ${MAX_QUESTIONS_PER_CREATOR}`;
const INSERT = "INSERT OR IGNORE INTO unanswered_questions (id, creator_id, conversation_id, end_user_id, channel, question, reason, created_at)";

/** A greeting answered without sources is not a gap. */
const worthKeeping = (text: string | undefined) => text === undefined || (text.trim() !== "" && !(detectIntent(text).name === "greeting" && detectIntent(text).confidence >= 0.9));

/**
 * Statements of one mirror flush (placed before the mirror's own, so D1's watermark and status are
 * the previous ones): the question of each new fallback answer, and the last question before a new handover.
 */
export function gapStatements(env: Env, state: ConversationState, rows: StoredMessage[], hints: MirrorHints = NO_HINTS): D1PreparedStatement[] {
  const { creatorId, conversationId, channel, endUserId } = state;
  const bySeq = new Map(rows.map((m) => [m.seq, m]));
  const out: D1PreparedStatement[] = [];
  const fallbacks = rows
    .filter((m) => m.sender === "ai" && !m.sources?.length)
    .map((m) => {
      const qseq = Number(m.metadata?.reply_to_seq ?? m.seq - 1);
      const q = bySeq.get(qseq);
      return { seq: m.seq, qseq, q: q?.sender === "user" ? q.text : undefined, at: m.createdAt };
    })
    .filter((f) => worthKeeping(f.q));
  if (fallbacks.length) {
    out.push(
      env.DB.prepare(
        `${INSERT}
         SELECT ?3 || ':' || qseq || ':fallback', ?1, ?3, ?4, ?2, substr(q, 1, ${QUESTION_CHARS}), 'fallback', at FROM (
           SELECT json_extract(r.value, '$.qseq') AS qseq, json_extract(r.value, '$.at') AS at,
             coalesce(json_extract(r.value, '$.q'), (SELECT text FROM messages WHERE conversation_id = ?3 AND seq = json_extract(r.value, '$.qseq') AND sender = 'user')) AS q
           FROM json_each(?5) r WHERE json_extract(r.value, '$.seq') > ${WATERMARK})
         WHERE q IS NOT NULL AND trim(q) <> '' AND ${UNDER_CAP}`,
      ).bind(creatorId, channel, conversationId, endUserId, JSON.stringify(fallbacks)),
    );
  }
  // Recorded on the flush that moves D1 to waiting_human: a state an earlier flush wrote already is no such move.
  if (state.status === "waiting_human" && hints.stateChanged) {
    const last = [...rows].reverse().find((m) => m.sender === "user");
    out.push(
      env.DB.prepare(
        `${INSERT}
         SELECT ?3 || ':' || seq || ':handover', ?1, ?3, ?4, ?2, substr(text, 1, ${QUESTION_CHARS}), 'handover', ?7 FROM (
           SELECT coalesce(?5, (SELECT seq FROM messages WHERE conversation_id = ?3 AND sender = 'user' ORDER BY seq DESC LIMIT 1)) AS seq,
             coalesce(?6, (SELECT text FROM messages WHERE conversation_id = ?3 AND sender = 'user' ORDER BY seq DESC LIMIT 1)) AS text)
         WHERE seq IS NOT NULL AND trim(text) <> ''
           AND (SELECT status FROM conversations WHERE id = ?3 AND creator_id = ?1) IS NOT 'waiting_human' AND ${UNDER_CAP}`,
      ).bind(creatorId, channel, conversationId, endUserId, last?.seq ?? null, last?.text ?? null, clock.iso()),
    );
  }
  return out;
}

/** A low rating: the conversation's last question (from the mirror) is a gap too. */
export function lowRatingStatement(env: Env, creatorId: string, conversationId: string, at: string): D1PreparedStatement {
  return env.DB.prepare(
    `${INSERT}
     SELECT ?2 || ':' || m.seq || ':low_rating', ?1, ?2, c.end_user_id, c.channel, substr(m.text, 1, ${QUESTION_CHARS}), 'low_rating', ?3
     FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.sender = 'user'
     WHERE c.id = ?2 AND c.creator_id = ?1 AND trim(m.text) <> '' AND ${UNDER_CAP}
     ORDER BY m.seq DESC LIMIT 1`,
  ).bind(creatorId, conversationId, at);
}

// ---- reading: embed what isn't yet, cluster, count

const PERIOD_DAYS = { "7d": 7, "30d": 30, "90d": 90 } as const;
export type GapPeriod = keyof typeof PERIOD_DAYS;

interface Q {
  id: string;
  question: string;
  reason: "fallback" | "handover" | "low_rating";
  createdAt: string;
  conversationId: string;
  vector: Float32Array;
}

const encodeVector = (v: Float32Array) => base64url(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
const decodeVector = (s: string) => {
  const bytes = fromBase64url(s);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalize(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v)) || 1;
  return v.map((x) => x / n);
}

interface Cluster {
  sum: Float32Array;
  centroid: Float32Array;
  members: Q[];
}

/**
 * Leader clustering by cosine similarity, then one reassignment pass against the final centroids
 * (so the order questions arrived in matters less). Embeddings are unit vectors: cosine = dot.
 */
export function cluster(questions: Q[], threshold: number): Cluster[] {
  const clusters: Cluster[] = [];
  const nearest = (v: Float32Array) => {
    let best: Cluster | null = null;
    let score = -1;
    for (const c of clusters) {
      const s = dot(c.centroid, v);
      if (s > score) [best, score] = [c, s];
    }
    return { best, score };
  };
  for (const q of questions) {
    const { best, score } = nearest(q.vector);
    if (best && score >= threshold) {
      best.members.push(q);
      best.sum = best.sum.map((x, i) => x + q.vector[i]!);
      best.centroid = normalize(best.sum);
    } else clusters.push({ sum: Float32Array.from(q.vector), centroid: q.vector, members: [q] });
  }
  for (const c of clusters) c.members = [];
  for (const q of questions) nearest(q.vector).best!.members.push(q);
  return clusters.filter((c) => c.members.length);
}

export async function knowledgeGaps(env: Env, creatorId: string, q: { period: GapPeriod; limit: number }) {
  const days = PERIOD_DAYS[q.period];
  const end = Date.parse(`${new Date(clock.now()).toISOString().slice(0, 10)}T00:00:00Z`) + DAY;
  const from = new Date(end - days * DAY).toISOString();
  const prevFrom = new Date(end - 2 * days * DAY).toISOString();
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(unansweredQuestions)
    .where(t.where(unansweredQuestions, gte(unansweredQuestions.createdAt, prevFrom)))
    .orderBy(desc(unansweredQuestions.createdAt))
    .limit(MAX_CLUSTERED)
    .all();

  // Embed once, with the configured provider; a provider change re-embeds.
  const provider = aiProvider(env);
  const missing = rows.filter((r) => !r.embedding || r.embeddingModel !== provider.embeddingModel);
  for (let i = 0; i < missing.length; i += 96) {
    const slice = missing.slice(i, i + 96);
    const vectors = await provider.embed(slice.map((r) => r.question));
    slice.forEach((r, j) => {
      r.embedding = encodeVector(vectors[j]!);
      r.embeddingModel = provider.embeddingModel;
    });
    await t.db.batch(
      slice.map((r) =>
        t.db
          .update(unansweredQuestions)
          .set({ embedding: r.embedding, embeddingModel: r.embeddingModel })
          .where(t.where(unansweredQuestions, and(eq(unansweredQuestions.id, r.id)))),
      ) as [any, ...any[]],
    );
  }
  const all: Q[] = rows.map((r) => ({ id: r.id, question: r.question, reason: r.reason, createdAt: r.createdAt, conversationId: r.conversationId, vector: normalize(decodeVector(r.embedding!)) }));
  const current = all.filter((x) => x.createdAt >= from).reverse(); // oldest first
  const previous = all.filter((x) => x.createdAt < from);
  const threshold = config(env).analytics.knowledgeGapSimilarity;
  const groups = cluster(current, threshold).map((c) => {
    // Questions of the period before that would have joined this group: the trend's base.
    const before = previous.filter((p) => dot(c.centroid, p.vector) >= threshold).length;
    const ranked = [...c.members].sort((a, b) => dot(c.centroid, b.vector) - dot(c.centroid, a.vector));
    const examples = [...new Map(ranked.map((m) => [m.question.trim().toLowerCase(), m.question.trim()])).values()].slice(0, 5);
    const count = c.members.length;
    const reasons = { fallback: 0, handover: 0, low_rating: 0 };
    for (const m of c.members) reasons[m.reason]++;
    return {
      id: ranked[0]!.id,
      title: examples[0]!,
      count,
      previous_count: before,
      trend: before === 0 ? "new" : count > before * 1.05 ? "increasing" : count < before * 0.95 ? "decreasing" : "stable",
      change_rate: before === 0 ? null : Math.round(((count - before) / before) * 100) / 100,
      reasons,
      examples,
      last_asked_at: c.members.reduce((m, x) => (x.createdAt > m ? x.createdAt : m), ""),
      // Where the questions were asked, newest first (the console opens them in the inbox).
      conversation_ids: [...new Set([...c.members].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map((m) => m.conversationId))].slice(0, 10),
    };
  });
  groups.sort((a, b) => b.count - a.count || (a.last_asked_at < b.last_asked_at ? 1 : -1));
  return {
    period: q.period,
    date_range: { start_date: from.slice(0, 10), end_date: new Date(end - DAY).toISOString().slice(0, 10) },
    total_questions: current.length,
    previous_total_questions: previous.length,
    similarity_threshold: threshold,
    embedding_model: provider.embeddingModel,
    gaps: groups.slice(0, q.limit),
  };
}
