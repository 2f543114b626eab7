// The conversation's message log and state in its Durable Object's SQLite: the source of truth for a
// live conversation. Every method is synchronous (SQLite in a DO is), so a check-then-insert can't
// interleave with another event.
import { clock } from "../lib/clock";
import type { ChatMessage, HandoverState, Sender, Source } from "./protocol";

export interface ConversationState {
  conversationId: string;
  creatorId: string;
  endUserId: string | null;
  channel: string;
  knowledgeBaseId: string | null;
  status: "active" | "waiting_human" | "completed" | "archived";
  handover: HandoverState;
  agent: { id: string; name: string } | null;
  /** Messages up to this seq are no longer AI context ("reset"). */
  contextResetSeq: number;
  /** Set by reset until the outbox has cleared the D1 context column. */
  clearContext: boolean;
  /** The user message whose AI reply is owed (re-run after an eviction). */
  pendingReplyFor: number | null;
  /** The user message whose audio is being heard (transcribed), then answered: re-run after an eviction. */
  hearingFor?: number | null;
  /** Widget tokens below this epoch were revoked by a key rotation: their sockets are refused. */
  widgetEpoch?: number;
}

export interface StoredMessage extends ChatMessage {
  senderId?: string;
  /** Channel messages (Telegram, WhatsApp): "queued" when stored; the send job moves it on in D1 only. */
  deliveryStatus?: string;
  metadata?: Record<string, unknown>;
}

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  client_id: string | null;
  sender: string;
  sender_id: string | null;
  sender_name: string | null;
  text: string;
  sources: string | null;
  delivery_status: string | null;
  metadata: string | null;
  created_at: string;
}

function toMessage(r: Row): StoredMessage {
  return {
    id: r.id,
    seq: r.seq,
    sender: r.sender as Sender,
    text: r.text,
    createdAt: r.created_at,
    ...(r.client_id !== null && { clientId: r.client_id }),
    ...(r.sender_id !== null && { senderId: r.sender_id }),
    ...(r.sender_name !== null && { senderName: r.sender_name }),
    ...(r.sources !== null && { sources: JSON.parse(r.sources) as Source[] }),
    ...(r.delivery_status !== null && { deliveryStatus: r.delivery_status }),
    ...(r.metadata !== null && { metadata: JSON.parse(r.metadata) as Record<string, unknown> }),
  };
}

export class MessageLog {
  lastSeq = 0;
  /** Every message up to this seq is in the D1 mirror. */
  mirroredSeq = 0;
  /** Bumped on every state change; the outbox clears the dirty flag only for the version it wrote. */
  stateVersion = 0;
  /**
   * Memory copies of what the outbox asks at every flush, so a flush reads nothing back from SQLite:
   * the messages appended since the mirror's watermark (null until this instance has seen every
   * unmirrored one: a log left behind by an earlier instance is read from SQLite once), whether the
   * state is dirty and whether channel sends are owed. SQLite stays the truth; these mirror it.
   */
  private pending: StoredMessage[] | null = null;
  private dirty = false;
  private sendsOwed = false;

  constructor(private readonly sql: SqlStorage) {
    // Few indexes on purpose: every index is more pages written (and synced) per message. Message ids
    // are generated here (UUIDs) and looked up by client id only; what the D1 mirror has is one
    // watermark (meta 'mirrored_seq'), not a flag rewritten on every row.
    sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL,
      client_id TEXT UNIQUE,
      sender TEXT NOT NULL,
      sender_id TEXT,
      sender_name TEXT,
      text TEXT NOT NULL,
      sources TEXT,
      created_at TEXT NOT NULL,
      delivery_status TEXT,
      metadata TEXT)`);
    // Logs created before channel messages went through the object lack the last two columns.
    const columns = sql.exec<{ name: string }>("PRAGMA table_info(messages)").toArray().map((c) => c.name);
    if (!columns.includes("delivery_status")) sql.exec("ALTER TABLE messages ADD COLUMN delivery_status TEXT");
    if (!columns.includes("metadata")) sql.exec("ALTER TABLE messages ADD COLUMN metadata TEXT");
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    // Channel sends owed: written with the message, enqueued by the outbox once D1 has the message.
    sql.exec("CREATE TABLE IF NOT EXISTS sends (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL)");
    // Messages changed after they were stored (a voice note's transcript): the outbox carries the
    // change to D1 once the message itself is there. `patch` is merged into D1's metadata.
    sql.exec("CREATE TABLE IF NOT EXISTS revisions (seq INTEGER PRIMARY KEY, patch TEXT NOT NULL)");
    const mark = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'mirrored_seq'").toArray()[0];
    this.mirroredSeq = mark ? Number(mark.value) : 0;
    // After startAfter() the log may be empty with a watermark: numbering goes on from there.
    this.lastSeq = Math.max(sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM messages").one().s ?? 0, this.mirroredSeq);
    if (this.lastSeq === this.mirroredSeq) this.pending = [];
    this.dirty = sql.exec("SELECT 1 FROM meta WHERE key = 'state_dirty'").toArray().length > 0;
    this.sendsOwed = sql.exec("SELECT 1 FROM sends LIMIT 1").toArray().length > 0;
  }

  /**
   * A new object for a conversation whose D1 row already has messages (written before the object
   * existed): its seqs continue after them, so the mirror never collides with what D1 holds.
   */
  startAfter(d1LastSeq: number): void {
    if (this.lastSeq > 0 || d1LastSeq <= 0) return;
    this.markMirrored(d1LastSeq);
    this.lastSeq = d1LastSeq;
  }

  /** The state as last written: a save that changes nothing writes nothing (most messages change no state). */
  private savedState: string | null = null;

  state(): ConversationState | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'state'").toArray()[0];
    this.savedState = row?.value ?? null;
    return row ? (JSON.parse(row.value) as ConversationState) : null;
  }

  /**
   * Persists the state and marks it for the D1 outbox. Unchanged since the last write: nothing to do,
   * since either D1 has it already or the dirty mark of that write is still pending.
   */
  saveState(state: ConversationState, mirror = true): void {
    const json = JSON.stringify(state);
    if (json === this.savedState) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('state', ?)", json);
    this.savedState = json;
    if (mirror) this.markStateDirty();
  }

  markStateDirty(): void {
    this.stateVersion++;
    // Already marked: the row is there (a presence change per socket would rewrite it otherwise).
    if (this.dirty) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('state_dirty', '1')");
    this.dirty = true;
  }

  stateDirty(): boolean {
    return this.dirty;
  }

  clearStateDirty(version: number): void {
    if (version !== this.stateVersion || !this.dirty) return;
    this.sql.exec("DELETE FROM meta WHERE key = 'state_dirty'");
    this.dirty = false;
  }

  byClientId(clientId: string): StoredMessage | null {
    const row = this.sql.exec<Row>("SELECT * FROM messages WHERE client_id = ?", clientId).toArray()[0];
    return row ? toMessage(row) : null;
  }

  append(input: {
    id: string;
    sender: Sender;
    text: string;
    clientId?: string;
    senderId?: string;
    senderName?: string;
    sources?: Source[];
    deliveryStatus?: string;
    metadata?: Record<string, unknown>;
  }, options: { send?: boolean } = {}): StoredMessage {
    const seq = this.lastSeq + 1;
    // The injectable clock: programs and proactive rules read these times (tests drive them).
    const createdAt = clock.iso();
    // The send is owed in the same implicit transaction as the message: an eviction can't lose it.
    if (options.send) {
      this.sql.exec("INSERT INTO sends (seq, message_id) VALUES (?, ?)", seq, input.id);
      this.sendsOwed = true;
    }
    this.sql.exec(
      "INSERT INTO messages (seq, id, client_id, sender, sender_id, sender_name, text, sources, created_at, delivery_status, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      seq,
      input.id,
      input.clientId ?? null,
      input.sender,
      input.senderId ?? null,
      input.senderName ?? null,
      input.text,
      input.sources ? JSON.stringify(input.sources) : null,
      createdAt,
      input.deliveryStatus ?? null,
      input.metadata ? JSON.stringify(input.metadata) : null,
    );
    this.lastSeq = seq;
    const stored = toMessage({
      seq,
      id: input.id,
      client_id: input.clientId ?? null,
      sender: input.sender,
      sender_id: input.senderId ?? null,
      sender_name: input.senderName ?? null,
      text: input.text,
      sources: null,
      delivery_status: input.deliveryStatus ?? null,
      metadata: null,
      created_at: createdAt,
    });
    // Copies: the caller's objects may change after the write, the stored row doesn't.
    if (input.sources) stored.sources = structuredClone(input.sources);
    if (input.metadata) stored.metadata = structuredClone(input.metadata);
    this.pending?.push(stored);
    return { ...input, seq, createdAt };
  }

  after(afterSeq: number, limit: number): StoredMessage[] {
    return this.sql.exec<Row>("SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit).toArray().map(toMessage);
  }

  /** The last `limit` messages with fromSeq < seq < beforeSeq, oldest first. */
  window(fromSeq: number, beforeSeq: number, limit: number): StoredMessage[] {
    return this.sql
      .exec<Row>("SELECT * FROM messages WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?", fromSeq, beforeSeq, limit)
      .toArray()
      .reverse()
      .map(toMessage);
  }

  unmirrored(limit: number): StoredMessage[] {
    if (this.pending) return this.pending.slice(0, limit);
    return this.after(this.mirroredSeq, limit);
  }

  /** Seqs only grow and the outbox sends them in order, so one watermark says what D1 has. */
  markMirrored(upToSeq: number): void {
    if (upToSeq <= this.mirroredSeq) return;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('mirrored_seq', ?)", String(upToSeq));
    this.mirroredSeq = upToSeq;
    if (this.pending) {
      const keep = this.pending.findIndex((m) => m.seq > upToSeq);
      this.pending = keep < 0 ? [] : this.pending.slice(keep);
    } else if (upToSeq >= this.lastSeq) this.pending = []; // caught up with what an earlier instance left
  }

  /** Sends owed for messages D1 already has (the send job reads the message from D1). */
  dueSends(): { seq: number; messageId: string }[] {
    if (!this.sendsOwed) return [];
    return this.sql
      .exec<{ seq: number; message_id: string }>("SELECT seq, message_id FROM sends WHERE seq <= ? ORDER BY seq", this.mirroredSeq)
      .toArray()
      .map((r) => ({ seq: r.seq, messageId: r.message_id }));
  }

  sendsEnqueued(upToSeq: number): void {
    this.sql.exec("DELETE FROM sends WHERE seq <= ?", upToSeq);
    this.sendsOwed = this.sql.exec("SELECT 1 FROM sends LIMIT 1").toArray().length > 0;
  }

  /**
   * Changes a stored message's text and merges `patch` into its metadata (a voice note's transcript),
   * with the D1 revision owed in the same write. Returns the message as it now is.
   */
  revise(seq: number, text: string, patch: Record<string, unknown>): StoredMessage | null {
    const json = JSON.stringify(patch);
    this.sql.exec("UPDATE messages SET text = ?, metadata = json_patch(coalesce(metadata, '{}'), ?) WHERE seq = ?", text, json, seq);
    this.sql.exec(
      "INSERT INTO revisions (seq, patch) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET patch = json_patch(revisions.patch, excluded.patch)",
      seq,
      json,
    );
    const row = this.sql.exec<Row>("SELECT * FROM messages WHERE seq = ?", seq).toArray()[0];
    const revised = row ? toMessage(row) : null;
    // The flush's memory copy of a not-yet-mirrored message must carry the new text too.
    const i = revised && this.pending ? this.pending.findIndex((m) => m.seq === seq) : -1;
    if (i >= 0) this.pending![i] = revised!;
    return revised;
  }

  /** Revisions of messages D1 already has: their current text and the metadata patch. */
  dueRevisions(): { seq: number; text: string; patch: string }[] {
    return this.sql
      .exec<{ seq: number; text: string; patch: string }>(
        "SELECT r.seq AS seq, m.text AS text, r.patch AS patch FROM revisions r JOIN messages m ON m.seq = r.seq WHERE r.seq <= ? ORDER BY r.seq",
        this.mirroredSeq,
      )
      .toArray();
  }

  /** Revisions written to D1; one revised again meanwhile (a different patch) stays owed. */
  revisionsMirrored(done: { seq: number; patch: string }[]): void {
    for (const r of done) this.sql.exec("DELETE FROM revisions WHERE seq = ? AND patch = ?", r.seq, r.patch);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n;
  }
}
