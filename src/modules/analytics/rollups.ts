// The rollup statements of one conversation's mirror flush: they join the MirrorWriter's D1 batch
// (one transaction) just before the mirror's own statements, so they still see D1's previous state
// (the conversation's last_seq watermark and status). Counting only seqs above that watermark and
// transitions away from the stored status makes a retried flush count nothing twice.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { ENGAGED_USER_MESSAGES, NO_HINTS, type ConversationState, type MirrorHints, type StoredMessage } from "../../realtime";
import { HLL_M, hllSlot, rankHex } from "./hll";
import { conversationTargets, type RollupTarget } from "./segments";

/** Both granularities from one statement: hour buckets ('YYYY-MM-DDTHH') and day buckets ('YYYY-MM-DD'). */
const GRAINS = "(SELECT 'h' AS g, 13 AS len UNION ALL SELECT 'd', 10)";
/** D1's watermark before this flush: seqs above it are new to D1. */
const WATERMARK = "(SELECT last_seq FROM conversations WHERE id = ?3 AND creator_id = ?1)";

const set = (cols: string[]) => `DO UPDATE SET ${cols.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

function topicOf(metadata: Record<string, unknown>): string | null {
  const title = metadata.document_title ?? metadata.title ?? metadata.document_id;
  return typeof title === "string" && title.trim() ? title.trim().slice(0, 200) : null;
}

export function rollupStatements(env: Env, state: ConversationState, rows: StoredMessage[], hints: MirrorHints = NO_HINTS): D1PreparedStatement[] {
  const db = env.DB;
  const { creatorId, conversationId, channel } = state;
  const out: D1PreparedStatement[] = [];
  const now = clock.iso();
  // Every counter goes to the channel's rollup and to the conversation's segments (?1 creator, ?2 channel, ?3 conversation).
  const targets = conversationTargets("?2", "?1", "?3");
  const each = (statement: (t: RollupTarget) => D1PreparedStatement) => out.push(...targets.map(statement));
  const counted = rows.filter((m) => m.sender === "user" || m.sender === "ai" || m.sender === "agent");
  if (counted.length) {
    const json = JSON.stringify(counted.map((m) => ({ seq: m.seq, at: m.createdAt, s: m.sender, src: m.sources?.length ?? 0 })));
    each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, user_messages, ai_messages, agent_messages, unanswered)
           SELECT ?1, k.g, substr(json_extract(r.value, '$.at'), 1, k.len), ${t.key},
             sum(json_extract(r.value, '$.s') = 'user'), sum(json_extract(r.value, '$.s') = 'ai'), sum(json_extract(r.value, '$.s') = 'agent'),
             sum(json_extract(r.value, '$.s') = 'ai' AND json_extract(r.value, '$.src') = 0)
           FROM json_each(?4) r, ${GRAINS} k${t.join}
           WHERE json_extract(r.value, '$.seq') > ${WATERMARK}
           GROUP BY k.g, substr(json_extract(r.value, '$.at'), 1, k.len)${t.group}
           ${t.conflict} ${set(["user_messages", "ai_messages", "agent_messages", "unanswered"])}`,
        )
        .bind(creatorId, channel, conversationId, json),
    );
    // A conversation counts once, in the bucket of its first mirrored message.
    if (!hints.mirroredBefore) each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, conversations)
           SELECT ?1, k.g, substr(?4, 1, k.len), ${t.key}, 1 FROM ${GRAINS} k${t.join} WHERE ${WATERMARK} = 0 ${t.conflict} ${set(["conversations"])}`,
        )
        .bind(creatorId, channel, conversationId, counted[0]!.createdAt),
    );
  }

  // Top topics: the document each AI answer drew on first.
  const topics = rows
    .filter((m) => m.sender === "ai" && m.sources?.length)
    .map((m) => ({ seq: m.seq, day: m.createdAt.slice(0, 10), topic: topicOf(m.sources![0]!.metadata) }))
    .filter((t) => t.topic);
  if (topics.length) {
    out.push(
      db
        .prepare(
          `INSERT INTO analytics_topics (creator_id, day, topic, answers)
           SELECT ?1, json_extract(r.value, '$.day'), json_extract(r.value, '$.topic'), count(*) FROM json_each(?2) r
           WHERE json_extract(r.value, '$.seq') > ${WATERMARK}
           GROUP BY 2, 3
           ON CONFLICT (creator_id, day, topic) DO UPDATE SET answers = answers + excluded.answers`,
        )
        .bind(creatorId, JSON.stringify(topics), conversationId),
    );
  }

  const userRows = rows.filter((m) => m.sender === "user");
  if (userRows.length) {
    const fresh = JSON.stringify(userRows.map((m) => m.seq));
    if (state.endUserId) {
      // Active users: raise the user's register in each day's sketch (max is idempotent).
      const { index, rank } = hllSlot(state.endUserId);
      for (const day of new Set(userRows.map((m) => m.createdAt.slice(0, 10)))) {
        if (day === hints.activeDay) continue; // raised by an earlier flush (max is idempotent: nothing to add)
        out.push(
          db
            .prepare("INSERT INTO analytics_active_users (creator_id, day, registers) VALUES (?1, ?2, hex(zeroblob(?3))) ON CONFLICT DO NOTHING")
            .bind(creatorId, day, HLL_M),
          db
            .prepare(
              `UPDATE analytics_active_users SET registers = substr(registers, 1, ?3) || max(substr(registers, ?3 + 1, 2), ?4) || substr(registers, ?3 + 3)
               WHERE creator_id = ?1 AND day = ?2`,
            )
            .bind(creatorId, day, index * 2, rankHex(rank)),
        );
      }
    }
    // Engaged: the conversation's user message count crosses the threshold in this flush (counted
    // before it grows). The per-conversation count exists only for this test, so once the object
    // knows D1 holds enough user messages, neither statement can change anything and both stay out.
    if (!hints.engaged) {
      const second = userRows[ENGAGED_USER_MESSAGES - 1]?.createdAt ?? userRows.at(-1)!.createdAt;
      each((t) =>
        db
          .prepare(
            `INSERT INTO ${t.into}, engaged_conversations)
             SELECT ?1, k.g, substr(?4, 1, k.len), ${t.key}, 1 FROM ${GRAINS} k${t.join}
             WHERE coalesce((SELECT user_messages FROM conversation_analytics WHERE conversation_id = ?3), 0) < ?6
               AND coalesce((SELECT user_messages FROM conversation_analytics WHERE conversation_id = ?3), 0)
                   + (SELECT count(*) FROM json_each(?5) WHERE value > ${WATERMARK}) >= ?6
             ${t.conflict} ${set(["engaged_conversations"])}`,
          )
          .bind(creatorId, channel, conversationId, second, fresh, ENGAGED_USER_MESSAGES),
      );
      out.push(
        db
          .prepare(
            `INSERT INTO conversation_analytics (conversation_id, creator_id, user_messages, updated_at)
             SELECT ?3, ?1, (SELECT count(*) FROM json_each(?2) WHERE value > ${WATERMARK}), ?4 WHERE ${WATERMARK} IS NOT NULL
             ON CONFLICT (conversation_id) DO UPDATE SET user_messages = user_messages + excluded.user_messages, updated_at = excluded.updated_at
             WHERE conversation_analytics.creator_id = excluded.creator_id`,
          )
          .bind(creatorId, fresh, conversationId, now),
      );
    }
  }

  // Response time: an AI or agent message whose previous message is the user's. The user message is
  // in this flush (its time travels along) or already in D1 (read by the unique (conversation, seq) index).
  const bySeq = new Map(rows.map((m) => [m.seq, m]));
  const replies = rows
    .filter((m) => m.sender === "ai" || m.sender === "agent")
    .map((m) => {
      const prev = bySeq.get(m.seq - 1);
      return { seq: m.seq, at: m.createdAt, prev: m.seq - 1, prevAt: prev ? (prev.sender === "user" ? prev.createdAt : "-") : null };
    })
    .filter((r) => r.prevAt !== "-");
  if (replies.length) {
    each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, response_count, response_seconds)
           SELECT ?1, k.g, substr(json_extract(r.value, '$.at'), 1, k.len), ${t.key}, count(*),
             sum(max(0, (julianday(json_extract(r.value, '$.at')) - julianday(coalesce(json_extract(r.value, '$.prevAt'), u.created_at))) * 86400.0))
           FROM json_each(?4) r CROSS JOIN ${GRAINS} k
           LEFT JOIN messages u ON json_extract(r.value, '$.prevAt') IS NULL AND u.conversation_id = ?3
             AND u.seq = json_extract(r.value, '$.prev') AND u.sender = 'user'${t.join}
           WHERE json_extract(r.value, '$.seq') > ${WATERMARK}
             AND coalesce(json_extract(r.value, '$.prevAt'), u.created_at) IS NOT NULL
           GROUP BY k.g, substr(json_extract(r.value, '$.at'), 1, k.len)${t.group}
           ${t.conflict} ${set(["response_count", "response_seconds"])}`,
        )
        .bind(creatorId, channel, conversationId, JSON.stringify(replies)),
    );
  }

  // Status transitions, seen as the flush's state against D1's stored status. When an earlier flush
  // wrote this very state, D1's status is it already: no transition to count (as for activity events).
  if (state.status === "waiting_human" && hints.stateChanged) {
    each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, handovers)
           SELECT ?1, k.g, substr(?4, 1, k.len), ${t.key}, 1 FROM ${GRAINS} k${t.join}
           WHERE (SELECT status FROM conversations WHERE id = ?3 AND creator_id = ?1) <> 'waiting_human'
           ${t.conflict} ${set(["handovers"])}`,
        )
        .bind(creatorId, channel, conversationId, now),
    );
    out.push(
      db
        .prepare(
          `INSERT INTO conversation_analytics (conversation_id, creator_id, handover_at, awaiting_human, updated_at)
           SELECT ?2, ?1, ?3, 1, ?3 WHERE (SELECT status FROM conversations WHERE id = ?2 AND creator_id = ?1) <> 'waiting_human'
           ON CONFLICT (conversation_id) DO UPDATE SET handover_at = excluded.handover_at, awaiting_human = 1, updated_at = excluded.updated_at
           WHERE conversation_analytics.creator_id = excluded.creator_id`,
        )
        .bind(creatorId, conversationId, now),
    );
  }
  const firstAgent = rows.find((m) => m.sender === "agent");
  if (firstAgent) {
    each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, human_reply_count, human_reply_seconds)
           SELECT ?1, k.g, substr(?4, 1, k.len), ${t.key}, 1, max(0, (julianday(?4) - julianday(f.handover_at)) * 86400.0)
           FROM conversation_analytics f, ${GRAINS} k${t.join}
           WHERE f.conversation_id = ?3 AND f.creator_id = ?1 AND f.awaiting_human = 1 AND ?5 > ${WATERMARK}
           ${t.conflict} ${set(["human_reply_count", "human_reply_seconds"])}`,
        )
        .bind(creatorId, channel, conversationId, firstAgent.createdAt, firstAgent.seq),
    );
    out.push(
      db
        .prepare(
          `UPDATE conversation_analytics SET awaiting_human = 0, updated_at = ?4
           WHERE conversation_id = ?3 AND creator_id = ?1 AND awaiting_human = 1 AND ?2 > ${WATERMARK}`,
        )
        .bind(creatorId, firstAgent.seq, conversationId, now),
    );
  }
  if (state.status === "completed" && hints.stateChanged) {
    // Resolved by the AI: no agent message in D1 before, none in this flush.
    each((t) =>
      db
        .prepare(
          `INSERT INTO ${t.into}, resolved, ai_resolved, resolution_seconds)
           SELECT ?1, k.g, substr(?4, 1, k.len), ${t.key}, 1,
             ?5 = 0 AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?3 AND sender = 'agent'),
             max(0, (julianday(?4) - julianday(c.created_at)) * 86400.0)
           FROM conversations c, ${GRAINS} k${t.join}
           WHERE c.id = ?3 AND c.creator_id = ?1 AND c.status <> 'completed'
           ${t.conflict} ${set(["resolved", "ai_resolved", "resolution_seconds"])}`,
        )
        .bind(creatorId, channel, conversationId, now, firstAgent ? 1 : 0),
    );
  }
  return out;
}
