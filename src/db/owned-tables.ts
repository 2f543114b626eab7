// The registry of creator-owned data. Add a line when a module adds a table that holds creator data;
// give it `endUser` when its rows belong to one end user (DELETE/export of /api/v1/users/{id} follow it).
import { creatorR2Prefix, registerOwnedR2Prefix, registerOwnedTable } from "./ownership";

/** A JSON column whose object at `path` names the end user (`end_user_id`; `user_id` in user.* events) or one of their conversations (`conversation_id`). */
function mentions(column: string, path: string): string {
  const at = (key: string) => `json_extract(${column}, '${path}.${key}')`;
  return `EXISTS (SELECT 1 FROM end_users eu WHERE eu.id = ? AND (${at("end_user_id")} = eu.id OR ${at("user_id")} = eu.id OR ${at("conversation_id")} IN (SELECT id FROM conversations WHERE end_user_id = eu.id)))`;
}

// auth / creators
registerOwnedTable({ table: "creators", column: "id" });
registerOwnedTable({ table: "members", column: "creator_id", redact: ["password_hash"] });
registerOwnedTable({ table: "sessions", column: "creator_id" });
registerOwnedTable({ table: "refresh_tokens", column: "creator_id", redact: ["token_hash"] });
registerOwnedTable({ table: "revoked_tokens", column: "creator_id" });
registerOwnedTable({ table: "one_time_tokens", column: "creator_id", redact: ["token_hash"] });
registerOwnedTable({ table: "gdpr_requests", column: "creator_id", keepOnDeletion: true });

// files of every module live under the creator prefix
registerOwnedR2Prefix(creatorR2Prefix);

// conversations (realtime, channels, AI API)
registerOwnedTable({ table: "end_users", column: "creator_id", endUser: "id = ?" });
registerOwnedTable({ table: "conversations", column: "creator_id", endUser: "end_user_id = ?" });
registerOwnedTable({ table: "messages", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
// files in conversations (module files): the end user's conversations' files, whoever sent them
registerOwnedTable({ table: "conversation_files", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
// what the assistant remembers about each end user (module memory)
registerOwnedTable({ table: "end_user_memories", column: "creator_id", endUser: "end_user_id = ?" });

// web widget and realtime presence
registerOwnedTable({ table: "widget_configs", column: "creator_id" });
registerOwnedTable({ table: "widget_sessions", column: "creator_id", endUser: "end_user_id = ?" });
registerOwnedTable({ table: "conversation_presence", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
// channels (secrets are ciphertext, and never exported)
registerOwnedTable({ table: "channels", column: "creator_id", redact: ["secrets", "webhook_key_hash"] });
// channel events name the end user by platform id (external_user_id), on the channel of their kind
registerOwnedTable({
  table: "channel_events",
  column: "creator_id",
  endUser:
    "EXISTS (SELECT 1 FROM end_users eu JOIN channels ch ON ch.creator_id = eu.creator_id AND ch.type = eu.channel WHERE eu.id = ? AND ch.id = channel_events.channel_id AND eu.external_id = channel_events.external_user_id)",
});
// the email channel's mails both ways (their attachments are conversation files under the creator prefix)
registerOwnedTable({ table: "email_messages", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
registerOwnedTable({ table: "channel_message_refs", column: "creator_id", endUser: "message_id IN (SELECT id FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?))" });
// programs and the proactive engine
registerOwnedTable({ table: "programs", column: "creator_id" });
registerOwnedTable({ table: "program_versions", column: "creator_id" });
registerOwnedTable({ table: "program_enrollments", column: "creator_id", endUser: "end_user_id = ?" });
registerOwnedTable({ table: "enrollment_steps", column: "creator_id", endUser: "enrollment_id IN (SELECT id FROM program_enrollments WHERE end_user_id = ?)" });
registerOwnedTable({ table: "end_user_badges", column: "creator_id", endUser: "end_user_id = ?" });
registerOwnedTable({ table: "proactive_rules", column: "creator_id" });
registerOwnedTable({ table: "proactive_sends", column: "creator_id", endUser: "end_user_id = ?" });
registerOwnedTable({ table: "proactive_opt_outs", column: "creator_id", endUser: "end_user_id = ?" });
// knowledge (parents first: deletion walks backwards). Vectors of VECTOR_STORE=vectorize live in the
// creator's namespace; the D1 store's rows are registered here.
registerOwnedTable({ table: "knowledge_bases", column: "creator_id" });
registerOwnedTable({ table: "documents", column: "creator_id" });
registerOwnedTable({ table: "knowledge_chunks", column: "creator_id" });
registerOwnedTable({ table: "chunk_vectors", column: "creator_id", redact: ["embedding", "sketch"] });
registerOwnedTable({ table: "ai_request_metrics", column: "creator_id" });
// accounts (issue 15): API keys (hashes never exported)
registerOwnedTable({ table: "api_keys", column: "creator_id", redact: ["key_hash"] });
registerOwnedTable({ table: "oauth_identities", column: "creator_id" });
registerOwnedTable({ table: "oauth_tickets", column: "creator_id", redact: ["token_hash"] });
// a background analysis of the end user's conversations (named in its input or its report) goes with them
registerOwnedTable({
  table: "tasks",
  column: "creator_id",
  endUser: "EXISTS (SELECT 1 FROM conversations cv WHERE cv.end_user_id = ? AND cv.creator_id = tasks.creator_id AND (instr(tasks.input, cv.id) > 0 OR instr(coalesce(tasks.result, ''), cv.id) > 0))",
});
// analytics, activity stream, outgoing webhooks (signing secrets are ciphertext, never exported)
registerOwnedTable({ table: "analytics_rollups", column: "creator_id" });
registerOwnedTable({ table: "analytics_segment_rollups", column: "creator_id" });
registerOwnedTable({ table: "analytics_topics", column: "creator_id" });
registerOwnedTable({ table: "analytics_active_users", column: "creator_id" });
registerOwnedTable({ table: "conversation_ratings", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
registerOwnedTable({ table: "conversation_analytics", column: "creator_id", endUser: "conversation_id IN (SELECT id FROM conversations WHERE end_user_id = ?)" });
registerOwnedTable({ table: "analytics_exports", column: "creator_id" });
registerOwnedTable({ table: "unanswered_questions", column: "creator_id", endUser: "end_user_id = ?" });
// events, deliveries and notifications name the end user or their conversation inside their JSON
registerOwnedTable({ table: "activity_events", column: "creator_id", endUser: mentions("activity_events.data", "$") });
registerOwnedTable({ table: "webhook_endpoints", column: "creator_id", redact: ["secret"] });
registerOwnedTable({ table: "webhook_deliveries", column: "creator_id", endUser: mentions("webhook_deliveries.payload", "$.data") });
registerOwnedTable({ table: "webhook_attempts", column: "creator_id", endUser: `delivery_id IN (SELECT id FROM webhook_deliveries WHERE ${mentions("webhook_deliveries.payload", "$.data")})` });
registerOwnedTable({ table: "notifications", column: "creator_id", endUser: mentions("notifications.data", "$") });
