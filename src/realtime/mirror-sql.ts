// The D1 mirror of a conversation, written from its Durable Object's outbox: unmirrored messages plus
// the conversation's current state and presence, as one group of statements (batched with other
// conversations of the creator by the MirrorWriter object).
// Idempotent: a retried flush re-inserts nothing, and never overwrites a row: the channel send job
// owns delivery_status and metadata in D1 once the message is there (insert once, then ignore).
// Raw statements because every insert is conditional on the conversation still existing (drizzle can't express INSERT … SELECT … WHERE EXISTS); each
// statement binds the creator id explicitly, as the tenant helper would.
import type { Env } from "../env";
import type { ConversationState, StoredMessage } from "./log";
import type { Presence } from "./sockets";

export type { Presence } from "./sockets";

const INSERT_MESSAGE = `INSERT INTO messages
  (id, creator_id, conversation_id, seq, sender, sender_id, sender_name, text, sources, client_message_id, created_at, delivery_status, metadata)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13
  WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?3 AND creator_id = ?2)
  ON CONFLICT DO NOTHING`;

/** A conversation counts as engaged in analytics once it has this many user messages. */
export const ENGAGED_USER_MESSAGES = 2;

/**
 * What the conversation object knows about D1's copy of it, so a flush leaves out the statements
 * that could change nothing (each is a condition D1 would evaluate and reject). Without hints every
 * statement is sent: that is always correct, only slower.
 */
export interface MirrorHints {
  /** The state (status, agent) may differ from D1's: false when an earlier flush wrote this very state. */
  stateChanged: boolean;
  /** D1 already holds messages of this conversation (its last_seq > 0): no "first message" statements. */
  mirroredBefore: boolean;
  /** A day (YYYY-MM-DD) whose active-user sketch an earlier flush of this object already raised for its end user. */
  activeDay: string | null;
  /** D1 already holds at least two of this conversation's user messages: it counts as engaged already. */
  engaged: boolean;
}

export const NO_HINTS: MirrorHints = { stateChanged: true, mirroredBefore: false, activeDay: null, engaged: false };

/** "gone": the conversation no longer exists in D1 (GDPR erasure): the object must forget it too. */
export type MirrorOutcome = "ok" | "gone";

/** The statements of one conversation's flush; the first one RETURNs a row iff the conversation exists. */
export function mirrorStatements(env: Env, state: ConversationState, rows: StoredMessage[], presence: Presence | null): D1PreparedStatement[] {
  const now = new Date().toISOString();
  const last = rows.at(-1);
  const lastFromUser = rows.filter((m) => m.sender === "user").at(-1);
  const statements: D1PreparedStatement[] = [
    env.DB.prepare(
      `UPDATE conversations SET status = ?1, assigned_member_id = ?2,
         context = CASE WHEN ?3 IS NULL THEN context ELSE ?3 END,
         last_seq = max(last_seq, ?4),
         last_message_at = CASE WHEN ?5 IS NULL THEN last_message_at ELSE max(coalesce(last_message_at, ''), ?5) END,
         updated_at = ?6
       WHERE id = ?7 AND creator_id = ?8 RETURNING id`,
    ).bind(
      state.status,
      state.agent?.id ?? null,
      // Reset: the stored AI context is emptied; only the point of the reset is kept.
      state.clearContext ? JSON.stringify({ reset_at_seq: state.contextResetSeq }) : null,
      last?.seq ?? 0,
      last?.createdAt ?? null,
      now,
      state.conversationId,
      state.creatorId,
    ),
    ...rows.map((m) =>
      env.DB.prepare(INSERT_MESSAGE).bind(
        m.id,
        state.creatorId,
        state.conversationId,
        m.seq,
        m.sender,
        m.senderId ?? null,
        m.senderName ?? null,
        m.text,
        m.sources ? JSON.stringify(m.sources) : null,
        m.clientId ?? null,
        m.createdAt,
        m.deliveryStatus ?? null,
        m.metadata ? JSON.stringify(m.metadata) : null,
      ),
    ),
  ];
  if (presence) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO conversation_presence (conversation_id, creator_id, user_sockets, agent_sockets, updated_at)
           SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?1 AND creator_id = ?2)
           ON CONFLICT (conversation_id) DO UPDATE SET user_sockets = excluded.user_sockets,
             agent_sockets = excluded.agent_sockets, updated_at = excluded.updated_at
           WHERE conversation_presence.creator_id = excluded.creator_id`,
      ).bind(state.conversationId, state.creatorId, presence.userSockets, presence.agentSockets, now),
    );
  }
  if (lastFromUser && state.endUserId) {
    statements.push(
      env.DB.prepare("UPDATE end_users SET last_active_at = ?1 WHERE id = ?2 AND creator_id = ?3").bind(
        lastFromUser.createdAt,
        state.endUserId,
        state.creatorId,
      ),
    );
  }
  return statements;
}
