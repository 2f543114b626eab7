// The D1 mirror of conversations, written from their Durable Objects' outboxes: unmirrored messages
// plus each conversation's current state and presence, for a batch of one creator's conversations
// (collected by the MirrorWriter object), each kind of write one statement for the whole batch.
// Idempotent: a retried flush re-inserts nothing, and never overwrites a row: the channel send job
// owns delivery_status and metadata in D1 once the message is there (insert once, then ignore).
// Raw statements because every insert is conditional on the conversation still existing (drizzle can't express INSERT … SELECT … WHERE EXISTS); each
// statement binds the creator id explicitly, as the tenant helper would.
import type { Env } from "../env";
import { jsonChunks } from "../lib/json-chunks";
import type { ConversationState, StoredMessage } from "./log";
import type { Presence } from "./sockets";

export type { Presence } from "./sockets";

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

/** One conversation's part of a mirror batch: its unmirrored messages, its state and its presence. */
export interface MirrorFlush {
  state: ConversationState;
  rows: StoredMessage[];
  presence: Presence | null;
}

export interface MirrorBatch {
  statements: D1PreparedStatement[];
  /** Each flush's outcome, in order, from the results of `statements` (the conversations UPDATE RETURNs the ids still there). */
  outcomes(results: D1Result[]): MirrorOutcome[];
}

/**
 * ?1: the conversations' new state (a JSON array), ?2: the batch's time, ?3: the creator. The unary
 * `+` keeps SQLite from walking all the creator's conversations by the creator index for every row
 * of the array: each row finds its conversation by primary key, and the creator is then checked.
 */
const UPDATE_CONVERSATIONS = `UPDATE conversations SET status = json_extract(u.value, '$.status'), assigned_member_id = json_extract(u.value, '$.agent'),
     context = coalesce(json_extract(u.value, '$.context'), context),
     last_seq = max(last_seq, json_extract(u.value, '$.seq')),
     last_message_at = CASE WHEN json_extract(u.value, '$.at') IS NULL THEN last_message_at ELSE max(coalesce(last_message_at, ''), json_extract(u.value, '$.at')) END,
     updated_at = ?2
   FROM json_each(?1) u
   WHERE conversations.id = json_extract(u.value, '$.id') AND +conversations.creator_id = ?3 RETURNING id`;

/** ?1: the messages (a JSON array). Each is inserted only while its conversation exists for this creator (?2), and never over a row D1 has. */
const INSERT_MESSAGES = `INSERT INTO messages
  (id, creator_id, conversation_id, seq, sender, sender_id, sender_name, text, sources, client_message_id, created_at, delivery_status, metadata)
  SELECT json_extract(m.value, '$.id'), ?2, json_extract(m.value, '$.conversation_id'), json_extract(m.value, '$.seq'), json_extract(m.value, '$.sender'),
    json_extract(m.value, '$.sender_id'), json_extract(m.value, '$.sender_name'), json_extract(m.value, '$.text'), json_extract(m.value, '$.sources'),
    json_extract(m.value, '$.client_message_id'), json_extract(m.value, '$.created_at'), json_extract(m.value, '$.delivery_status'), json_extract(m.value, '$.metadata')
  FROM json_each(?1) m
  WHERE EXISTS (SELECT 1 FROM conversations WHERE id = json_extract(m.value, '$.conversation_id') AND creator_id = ?2)
  ON CONFLICT DO NOTHING`;

const UPSERT_PRESENCE = `INSERT INTO conversation_presence (conversation_id, creator_id, user_sockets, agent_sockets, updated_at)
  SELECT json_extract(p.value, '$.conversation_id'), ?2, json_extract(p.value, '$.user_sockets'), json_extract(p.value, '$.agent_sockets'), ?3
  FROM json_each(?1) p
  WHERE EXISTS (SELECT 1 FROM conversations WHERE id = json_extract(p.value, '$.conversation_id') AND creator_id = ?2)
  ON CONFLICT (conversation_id) DO UPDATE SET user_sockets = excluded.user_sockets,
    agent_sockets = excluded.agent_sockets, updated_at = excluded.updated_at
  WHERE conversation_presence.creator_id = excluded.creator_id`;

/** As for the conversations: each end user by primary key (the `+`), then checked for the creator. */
const END_USERS_ACTIVE = `UPDATE end_users SET last_active_at = json_extract(u.value, '$.at') FROM json_each(?1) u
  WHERE end_users.id = json_extract(u.value, '$.end_user_id') AND +end_users.creator_id = ?2`;

/**
 * The mirror statements of one creator's batch of flushes, each kind merged across the conversations
 * into one statement over a JSON array (json_each), so a batch costs the same few statements however
 * many conversations and messages it carries (more only when the JSON is split under D1's 2 MB per
 * bound string). The conversations UPDATE runs first and RETURNs the ids it found: a conversation
 * erased from D1 meanwhile is "gone", and none of its rows are written (each insert is conditional on it).
 * At most one flush per conversation: two would need an order between them that one statement has not.
 */
export function mirrorBatch(env: Env, flushes: MirrorFlush[]): MirrorBatch {
  if (!flushes.length) return { statements: [], outcomes: () => [] };
  const creatorId = flushes[0]!.state.creatorId;
  if (flushes.some((f) => f.state.creatorId !== creatorId)) throw new Error("mirrorBatch: a batch holds one creator's conversations");
  if (new Set(flushes.map((f) => f.state.conversationId)).size < flushes.length) throw new Error("mirrorBatch: one flush per conversation in a batch");
  const db = env.DB;
  const now = new Date().toISOString();
  const updates = jsonChunks(
    flushes.map(({ state, rows }) => ({
      id: state.conversationId,
      status: state.status,
      agent: state.agent?.id ?? null,
      // Reset: the stored AI context is emptied; only the point of the reset is kept.
      context: state.clearContext ? JSON.stringify({ reset_at_seq: state.contextResetSeq }) : null,
      seq: rows.at(-1)?.seq ?? 0,
      at: rows.at(-1)?.createdAt ?? null,
    })),
  ).map((json) => db.prepare(UPDATE_CONVERSATIONS).bind(json, now, creatorId));
  const messages = jsonChunks(
    flushes.flatMap(({ state, rows }) =>
      rows.map((m) => ({
        id: m.id,
        conversation_id: state.conversationId,
        seq: m.seq,
        sender: m.sender,
        sender_id: m.senderId ?? null,
        sender_name: m.senderName ?? null,
        text: m.text,
        // Stored as the JSON text the message had, not re-serialised by SQLite.
        sources: m.sources ? JSON.stringify(m.sources) : null,
        client_message_id: m.clientId ?? null,
        created_at: m.createdAt,
        delivery_status: m.deliveryStatus ?? null,
        metadata: m.metadata ? JSON.stringify(m.metadata) : null,
      })),
    ),
  ).map((json) => db.prepare(INSERT_MESSAGES).bind(json, creatorId));
  const presence = jsonChunks(
    flushes.flatMap(({ state, presence: p }) => (p ? [{ conversation_id: state.conversationId, user_sockets: p.userSockets, agent_sockets: p.agentSockets }] : [])),
  ).map((json) => db.prepare(UPSERT_PRESENCE).bind(json, creatorId, now));
  // An end user's last message of the batch wins (as when each conversation wrote its own UPDATE in order).
  const lastActive = new Map<string, string>();
  for (const { state, rows } of flushes) {
    const lastFromUser = rows.findLast((m) => m.sender === "user");
    if (lastFromUser && state.endUserId) lastActive.set(state.endUserId, lastFromUser.createdAt);
  }
  const endUsers = jsonChunks([...lastActive].map(([end_user_id, at]) => ({ end_user_id, at }))).map((json) => db.prepare(END_USERS_ACTIVE).bind(json, creatorId));
  return {
    statements: [...updates, ...messages, ...presence, ...endUsers],
    outcomes: (results) => {
      const found = new Set(results.slice(0, updates.length).flatMap((r) => (r.results as { id: string }[]).map((row) => row.id)));
      return flushes.map((f) => (found.has(f.state.conversationId) ? "ok" : "gone"));
    },
  };
}
