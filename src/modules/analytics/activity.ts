// Activity events of a mirror flush: written in the MirrorWriter's batch (same transaction as the
// messages and status they report), under the same "only what D1 didn't have" conditions as the
// rollups, so a retried flush records nothing twice. Webhooks and the live inbox read them afterwards.
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { newId } from "../../lib/ids";
import { jsonChunks } from "../../lib/json-chunks";
import { NO_HINTS, type ConversationState, type MirrorHints, type StoredMessage } from "../../realtime";

const WATERMARK = "(SELECT last_seq FROM conversations WHERE id = ?3 AND creator_id = ?1)";
const STORED_STATUS = "(SELECT status FROM conversations WHERE id = ?3 AND creator_id = ?1)";
/** Message text in an event: webhooks get the whole message, up to this (a message is capped well below). */
const TEXT_LIMIT = 4000;

/**
 * A conversation's own events: its creation (on its first mirrored messages) and its transitions.
 * Its messages' events are written with the whole batch's (messageEventStatements), between the two:
 * the stream's order is created, then messages, then the transitions they caused (a webhook sees the
 * message that asked for a human before the handover).
 */
export function activityStatements(
  env: Env,
  state: ConversationState,
  rows: StoredMessage[],
  hints: MirrorHints = NO_HINTS,
): { created: D1PreparedStatement[]; transitions: D1PreparedStatement[] } {
  const db = env.DB;
  const { creatorId, conversationId, channel } = state;
  const now = clock.iso();
  const base = { conversation_id: conversationId, channel, end_user_id: state.endUserId };
  const created: D1PreparedStatement[] = [];
  const out: D1PreparedStatement[] = [];
  const visible = rows.filter((m) => m.sender !== "system");
  if (visible.length && !hints.mirroredBefore) {
    created.push(
      db
        .prepare(
          `INSERT INTO activity_events (id, creator_id, type, data, created_at)
           SELECT 'conv_' || ?3, ?1, 'conversation.created', ?2, ?4 WHERE ${WATERMARK} = 0
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(creatorId, JSON.stringify({ ...base, status: state.status }), conversationId, visible[0]!.createdAt),
    );
  }
  // ?7 is the one value a condition compares with (the flush's status or agent id).
  const transition = (type: string, condition: string, param: string | null, data: Record<string, unknown>) =>
    db
      .prepare(
        `INSERT INTO activity_events (id, creator_id, type, data, created_at)
         SELECT ?2, ?1, ?5, json_set(?4, '$.previous_status', ${STORED_STATUS}), ?6
         WHERE ${STORED_STATUS} IS NOT NULL AND (${condition})`,
      )
      .bind(creatorId, newId(), conversationId, JSON.stringify({ ...base, ...data }), type, now, param);
  // The status and agent D1 holds are this state's (an earlier flush wrote it): no transition to record.
  if (!hints.stateChanged) return { created, transitions: out };
  const changed = `${STORED_STATUS} <> ?7`;
  out.push(transition("conversation.status_changed", changed, state.status, { status: state.status }));
  if (state.status === "waiting_human") out.push(transition("escalation.created", changed, state.status, { status: state.status }));
  if (state.status === "completed") out.push(transition("conversation.resolved", changed, state.status, { status: state.status }));
  const assigned = "(SELECT assigned_member_id FROM conversations WHERE id = ?3 AND creator_id = ?1)";
  if (state.agent) out.push(transition("conversation.agent_joined", `${assigned} IS NOT ?7`, state.agent.id, { agent: state.agent }));
  else out.push(transition("conversation.agent_left", `${assigned} IS NOT NULL AND ?7 IS NULL`, null, {}));
  return { created, transitions: out };
}

/**
 * The events of the messages of all a batch's flushes (one creator's), in one statement: each message
 * is recorded only when its seq is above its conversation's D1 watermark (before the flush).
 */
export function messageEventStatements(env: Env, creatorId: string, flushes: { state: ConversationState; rows: StoredMessage[] }[]): D1PreparedStatement[] {
  const events = flushes.flatMap(({ state, rows }) =>
    rows
      .filter((m) => m.sender !== "system")
      .map((m) => ({
        conversation_id: state.conversationId,
        channel: state.channel,
        end_user_id: state.endUserId,
        message_id: m.id,
        seq: m.seq,
        sender: m.sender,
        sender_name: m.senderName ?? null,
        text: m.text.slice(0, TEXT_LIMIT),
        created_at: m.createdAt,
      })),
  );
  return jsonChunks(events).map((json) =>
    env.DB.prepare(
      `INSERT INTO activity_events (id, creator_id, type, data, created_at)
       SELECT 'msg_' || json_extract(r.value, '$.message_id'), ?1,
         CASE json_extract(r.value, '$.sender') WHEN 'user' THEN 'message.received' ELSE 'message.sent' END,
         json(r.value), json_extract(r.value, '$.created_at')
       FROM json_each(?2) r
       WHERE json_extract(r.value, '$.seq') > (SELECT last_seq FROM conversations WHERE id = json_extract(r.value, '$.conversation_id') AND creator_id = ?1)
       ON CONFLICT (id) DO NOTHING`,
    ).bind(creatorId, json),
  );
}
