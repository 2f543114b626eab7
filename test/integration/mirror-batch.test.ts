// The MirrorWriter's batch: many conversations' flushes in one D1 batch whose writes are one
// statement a kind. Each conversation still gets its own outcome ("gone" once erased from D1), a
// retried flush writes nothing twice and overwrites nothing, long messages are split under D1's
// string limit, and a batch that fails is written conversation by conversation.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { batchStatements, type MirrorResult } from "../../durable-objects/mirror-writer";
import type { ConversationState, StoredMessage } from "../../src/realtime/log";
import { createCreator, createMirroredConversation } from "../helpers";

const messages = (from: number, texts: string[]): StoredMessage[] =>
  texts.map((text, i) => ({ id: crypto.randomUUID(), seq: from + i, sender: i % 2 ? "ai" : "user", text, createdAt: new Date().toISOString(), ...(i % 2 && { sources: [] }) }));

/** Flushes sent together (within the writer's 20 ms window): one batch. */
const mirrorAll = (flushes: { state: ConversationState; rows: StoredMessage[] }[]): Promise<MirrorResult[]> => {
  const writer = env.MIRROR_WRITER.get(env.MIRROR_WRITER.idFromName(flushes[0]!.state.creatorId));
  return Promise.all(flushes.map((f) => writer.mirror(f.state, f.rows, { userSockets: 1, agentSockets: 0 })));
};

const count = async (sql: string, ...params: unknown[]) => (await env.DB.prepare(sql).bind(...params).first<{ n: number }>())!.n;

describe("MirrorWriter batches", () => {
  it("a conversation erased meanwhile is 'gone' and gets no rows; the others of the same batch are 'ok' and written", async () => {
    const { creator } = await createCreator();
    const [a, erased, c] = [await createMirroredConversation(creator.id), await createMirroredConversation(creator.id), await createMirroredConversation(creator.id)];
    await env.DB.prepare("DELETE FROM conversations WHERE id = ?").bind(erased.conversationId).run();
    const flushes = [a, erased, c].map((state) => ({ state: { ...state, status: "waiting_human" as const }, rows: messages(1, ["hello", "hi there"]) }));
    const results = await mirrorAll(flushes);
    expect(results.map((r) => ("outcome" in r ? r.outcome : r.error))).toEqual(["ok", "gone", "ok"]);
    // One batch, one bookmark for all of them.
    const bookmarks = new Set(results.map((r) => ("bookmark" in r ? r.bookmark : undefined)));
    expect(bookmarks.size).toBe(1);
    for (const state of [a, c]) {
      expect(await count("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND creator_id = ?", state.conversationId, creator.id)).toBe(2);
      const row = await env.DB.prepare("SELECT status, last_seq FROM conversations WHERE id = ?").bind(state.conversationId).first();
      expect(row).toEqual({ status: "waiting_human", last_seq: 2 });
      expect(await count("SELECT count(*) AS n FROM conversation_presence WHERE conversation_id = ?", state.conversationId)).toBe(1);
      expect(await count("SELECT count(*) AS n FROM activity_events WHERE json_extract(data, '$.conversation_id') = ? AND type LIKE 'message.%'", state.conversationId)).toBe(2);
    }
    for (const table of ["messages", "conversation_presence"]) {
      expect(await count(`SELECT count(*) AS n FROM ${table} WHERE conversation_id = ?`, erased.conversationId), table).toBe(0);
    }
    expect(await count("SELECT count(*) AS n FROM activity_events WHERE json_extract(data, '$.conversation_id') = ?", erased.conversationId)).toBe(0);
  });

  it("the activity stream keeps each conversation's order in a merged batch: created, then its messages, then the handover they caused", async () => {
    const { creator } = await createCreator();
    const [a, b] = [await createMirroredConversation(creator.id), await createMirroredConversation(creator.id)];
    const flushes = [a, b].map((state) => ({ state: { ...state, status: "waiting_human" as const }, rows: messages(1, ["a human please", "connecting you"]) }));
    expect((await mirrorAll(flushes)).map((r) => "outcome" in r && r.outcome)).toEqual(["ok", "ok"]);
    for (const state of [a, b]) {
      const { results } = await env.DB.prepare("SELECT type FROM activity_events WHERE creator_id = ? AND json_extract(data, '$.conversation_id') = ? ORDER BY seq")
        .bind(creator.id, state.conversationId)
        .all<{ type: string }>();
      expect(results.map((r) => r.type)).toEqual(["conversation.created", "message.received", "message.sent", "conversation.status_changed", "escalation.created"]);
    }
  });

  it("a retried flush, alone or batched with new ones, inserts nothing twice and leaves the send job's delivery status alone", async () => {
    const { creator } = await createCreator();
    const [a, b] = [await createMirroredConversation(creator.id), await createMirroredConversation(creator.id)];
    const first = { state: a, rows: messages(1, ["one", "two", "three"]) };
    expect(await mirrorAll([first])).toEqual([expect.objectContaining({ outcome: "ok" })]);
    // The channel send job owns delivery_status once the row is in D1.
    await env.DB.prepare("UPDATE messages SET delivery_status = 'delivered' WHERE id = ?").bind(first.rows[0]!.id).run();
    const snapshot = async () => ({
      messages: await count("SELECT count(*) AS n FROM messages WHERE creator_id = ?", creator.id),
      events: await count("SELECT count(*) AS n FROM activity_events WHERE creator_id = ?", creator.id),
      user_messages: await count("SELECT coalesce(sum(user_messages), 0) AS n FROM analytics_rollups WHERE creator_id = ? AND granularity = 'd'", creator.id),
    });
    const once = await snapshot();
    expect(once).toEqual({ messages: 3, events: 4, user_messages: 2 }); // conversation.created + 3 messages
    // The same flush again (its answer was lost), in one batch with another conversation's first.
    const results = await mirrorAll([first, { state: b, rows: messages(1, ["new here"]) }]);
    expect(results.map((r) => "outcome" in r && r.outcome)).toEqual(["ok", "ok"]);
    expect(await snapshot()).toEqual({ messages: 4, events: 6, user_messages: 3 });
    // And once more, alone: nothing moves.
    await mirrorAll([first]);
    expect(await snapshot()).toEqual({ messages: 4, events: 6, user_messages: 3 });
    const kept = await env.DB.prepare("SELECT delivery_status, text FROM messages WHERE id = ?").bind(first.rows[0]!.id).first();
    expect(kept).toEqual({ delivery_status: "delivered", text: "one" });
  });

  it("long messages are split over several statements under D1's 2 MB per bound string, every one written whole", async () => {
    const { creator } = await createCreator();
    const states = await Promise.all(Array.from({ length: 4 }, () => createMirroredConversation(creator.id)));
    // 4 × 3 × 150,000 characters, some of them 3 bytes long in UTF-8: far over one bound string's limit.
    const long = (i: number) => `${"é€".repeat(25_000)}${"x".repeat(100_000)}#${i}`;
    const flushes = states.map((state, c) => ({ state, rows: messages(1, [long(c * 3), long(c * 3 + 1), long(c * 3 + 2)]) }));
    // (Local D1 doesn't enforce the limit: the statements' bound strings are measured here.)
    const statements = batchStatements(env, flushes.map((f) => ({ ...f, presence: null }))).statements as unknown as { statement: string; params: unknown[] }[];
    const bytes = statements.flatMap((s) => s.params.filter((p) => typeof p === "string").map((p) => new TextEncoder().encode(p).length));
    expect(Math.max(...bytes)).toBeLessThanOrEqual(1_000_000);
    expect(statements.filter((s) => s.statement.startsWith("INSERT INTO messages")).length).toBeGreaterThanOrEqual(3);
    const results = await mirrorAll(flushes);
    expect(results.map((r) => "outcome" in r && r.outcome)).toEqual(["ok", "ok", "ok", "ok"]);
    const stored = await env.DB.prepare("SELECT text FROM messages WHERE creator_id = ? ORDER BY text").bind(creator.id).all<{ text: string }>();
    expect(stored.results.map((r) => r.text).sort()).toEqual(flushes.flatMap((f) => f.rows.map((m) => m.text)).sort());
  });

  it("a batch that fails is written conversation by conversation: only the bad flush fails", async () => {
    const { creator } = await createCreator();
    const [a, bad, c] = [await createMirroredConversation(creator.id), await createMirroredConversation(creator.id), await createMirroredConversation(creator.id)];
    // A row D1 refuses (text is NOT NULL): its statement fails, and with it the whole batch's transaction.
    const broken = { id: crypto.randomUUID(), seq: 1, sender: "system", createdAt: new Date().toISOString() } as unknown as StoredMessage;
    const results = await mirrorAll([
      { state: a, rows: messages(1, ["fine"]) },
      { state: bad, rows: [broken] },
      { state: c, rows: messages(1, ["also fine"]) },
    ]);
    expect("outcome" in results[0]! && results[0].outcome).toBe("ok");
    expect(results[1]).toEqual({ error: expect.stringMatching(/NOT NULL/i) });
    expect("outcome" in results[2]! && results[2].outcome).toBe("ok");
    expect(await count("SELECT count(*) AS n FROM messages WHERE creator_id = ?", creator.id)).toBe(2);
    expect(await count("SELECT last_seq AS n FROM conversations WHERE id = ?", bad.conversationId)).toBe(0);
  });

  it("marks the proactive sends each reply of the batch falls within, in one statement, the first reply in batch order winning, and only the creator's", async () => {
    const [{ creator }, other] = [await createCreator(), await createCreator()];
    const [a, alsoA, b] = [await createMirroredConversation(creator.id), await createMirroredConversation(creator.id), await createMirroredConversation(creator.id)];
    alsoA.endUserId = a.endUserId; // one end user in two conversations
    const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    const insert = env.DB.prepare(
      `INSERT INTO proactive_sends (creator_id, rule_id, end_user_id, occurrence_key, action_index, status, due_at, local_date, sent_at, created_at)
       VALUES (?1, 'rule-x', ?2, ?3, 0, 'sent', ?4, substr(?4, 1, 10), ?4, ?4)`,
    );
    await env.DB.batch([
      insert.bind(creator.id, a.endUserId, "a-recent", ago(2)),
      insert.bind(creator.id, b.endUserId, "b-recent", ago(1)),
      insert.bind(creator.id, b.endUserId, "b-old", ago(30)),
      // Another creator's ledger row for the same end user id is not this creator's to mark.
      insert.bind(other.creator.id, a.endUserId, "other-creator", ago(1)),
    ]);
    const reply = (state: ConversationState, at: string) => ({ state, rows: [{ ...messages(1, ["thanks!"])[0]!, createdAt: at }] });
    const [later, earlier, bAt] = [ago(0.1), ago(0.5), ago(0.2)];
    await mirrorAll([reply(alsoA, later), reply(a, earlier), reply(b, bAt)]);
    const sends = await env.DB.prepare("SELECT occurrence_key, responded_at FROM proactive_sends WHERE rule_id = 'rule-x' AND creator_id IN (?, ?) ORDER BY occurrence_key")
      .bind(creator.id, other.creator.id)
      .all();
    expect(sends.results).toEqual([
      { occurrence_key: "a-recent", responded_at: later },
      { occurrence_key: "b-old", responded_at: null },
      { occurrence_key: "b-recent", responded_at: bAt },
      { occurrence_key: "other-creator", responded_at: null },
    ]);
    // The end user's last activity is their last reply in the batch's order, as before.
    const active = await env.DB.prepare("SELECT last_active_at FROM end_users WHERE id = ?").bind(a.endUserId).first<{ last_active_at: string }>();
    expect(active!.last_active_at).toBe(earlier);
  });

  it("one batch of several conversations writes exactly what one batch per conversation writes, in every table", async () => {
    const [a, b] = [await createCreator(), await createCreator()];
    const one = await Promise.all([0, 1, 2].map(() => createMirroredConversation(a.creator.id)));
    const merged = await Promise.all([0, 1, 2].map(() => createMirroredConversation(b.creator.id)));
    const at = new Date().toISOString();
    const msg = (seq: number, sender: StoredMessage["sender"], text: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id: "", seq, sender, text, createdAt: at, ...extra });
    const sources: StoredMessage["sources"] = [{ content: "Start slowly.", similarity_score: 0.9, metadata: { title: "Running basics" } }];
    const jane = { id: "m1", name: "Jane" };
    // Per step, each conversation's change of state and its new messages.
    const steps: [Partial<ConversationState>, StoredMessage[]][][] = [
      [
        [{}, [msg(1, "user", "How do I start running?"), msg(2, "ai", "Sorry, I don't know.", { sources: [] })]],
        [{}, [msg(1, "user", "Which shoes?"), msg(2, "ai", "Light ones.", { sources })]],
        [{}, [msg(1, "user", "hello")]],
      ],
      [
        [{ status: "waiting_human", handover: "waiting" }, [msg(3, "user", "A human please")]],
        [{}, [msg(3, "user", "And socks?"), msg(4, "ai", "Wool.", { sources, metadata: { reply_to_seq: 3 } })]],
        [{ status: "waiting_human", handover: "agent", agent: jane }, [msg(2, "agent", "Jane here.", { senderId: "m1", senderName: "Jane" })]],
      ],
      [
        [{ handover: "agent", agent: jane }, [msg(4, "agent", "Hi, Jane.", { senderId: "m1", senderName: "Jane", deliveryStatus: "queued" })]],
        [{ status: "completed" }, []],
        [{}, [msg(3, "user", "Thanks"), msg(4, "agent", "Welcome", { senderId: "m1", senderName: "Jane" })]],
      ],
      [
        [{ status: "completed", handover: "ai", agent: null }, [msg(5, "user", "Bye")]],
        [{ clearContext: true, contextResetSeq: 4 }, [msg(5, "user", "Start over")]],
        [{ status: "active", handover: "ai", agent: null }, [msg(5, "system", "The conversation went back to the assistant.")]],
      ],
    ];
    for (const step of steps) {
      const flushes = (states: ConversationState[]) =>
        step.map(([change, rows], i) => ({
          state: Object.assign(states[i]!, change),
          rows: rows.map((m) => ({ ...m, id: crypto.randomUUID() })),
          presence: { userSockets: i + 1, agentSockets: i % 2 },
        }));
      for (const f of flushes(one)) await env.DB.batch(batchStatements(env, [f]).statements);
      await env.DB.batch(batchStatements(env, flushes(merged)).statements);
    }
    const tablesOf = async (creatorId: string, states: ConversationState[]) => {
      const index = (id: unknown) => states.findIndex((s) => s.conversationId === id);
      type Row = { c: number } & Record<string, unknown>;
      const q = async (sql: string): Promise<Row[]> =>
        (await env.DB.prepare(sql).bind(creatorId).all<Record<string, unknown>>()).results.map(({ conversation_id, ...rest }) => ({ c: index(conversation_id), ...rest }));
      const byC = (rows: Row[]) => rows.sort((x, y) => x.c - y.c || JSON.stringify(x).localeCompare(JSON.stringify(y)));
      return {
        messages: byC(await q("SELECT conversation_id, seq, sender, sender_id, sender_name, text, sources, client_message_id, created_at, delivery_status, metadata FROM messages WHERE creator_id = ?")),
        conversations: byC(await q("SELECT id AS conversation_id, status, assigned_member_id, context, last_seq, last_message_at FROM conversations WHERE creator_id = ?")),
        presence: byC(await q("SELECT conversation_id, user_sockets, agent_sockets FROM conversation_presence WHERE creator_id = ?")),
        endUsers: byC(await q("SELECT c.id AS conversation_id, u.last_active_at FROM conversations c JOIN end_users u ON u.id = c.end_user_id WHERE c.creator_id = ?")),
        events: byC(await q("SELECT json_extract(data, '$.conversation_id') AS conversation_id, type, json_remove(data, '$.conversation_id', '$.end_user_id', '$.message_id') AS data FROM activity_events WHERE creator_id = ?")),
        facts: byC(await q("SELECT conversation_id, user_messages, awaiting_human, handover_at IS NOT NULL AS handed_over FROM conversation_analytics WHERE creator_id = ?")),
        gaps: byC(await q("SELECT conversation_id, reason, question FROM unanswered_questions WHERE creator_id = ?")),
        rollups: await q("SELECT granularity, channel, user_messages, ai_messages, agent_messages, unanswered, conversations, engaged_conversations, handovers, resolved, ai_resolved, response_count, human_reply_count FROM analytics_rollups WHERE creator_id = ? ORDER BY 1, 2"),
        segments: await q("SELECT granularity, dimension, segment, user_messages, ai_messages, conversations, engaged_conversations, handovers, resolved FROM analytics_segment_rollups WHERE creator_id = ? ORDER BY 1, 2, 3"),
        topics: await q("SELECT topic, answers FROM analytics_topics WHERE creator_id = ?"),
      };
    };
    const [x, y] = [await tablesOf(a.creator.id, one), await tablesOf(b.creator.id, merged)];
    expect(y).toEqual(x);
    // Not empty tables that agree trivially: every kind of row was written.
    expect(x.messages).toHaveLength(15);
    expect(x.conversations.map((r) => r.status)).toEqual(["completed", "completed", "active"]);
    expect(x.conversations[1]!.context).toBe(JSON.stringify({ reset_at_seq: 4 }));
    expect(x.presence).toHaveLength(3);
    expect(x.endUsers.every((r) => r.last_active_at === at)).toBe(true);
    expect(new Set(x.events.map((e) => e.type))).toEqual(
      new Set(["conversation.created", "message.received", "message.sent", "conversation.status_changed", "escalation.created", "conversation.agent_joined", "conversation.agent_left", "conversation.resolved"]),
    );
    expect(x.gaps.map((g) => g.reason).sort()).toEqual(["fallback", "handover", "handover"]);
    expect(x.topics).toEqual([{ c: -1, topic: "Running basics", answers: 2 }]);
  });

  it("finds each row its statements write by key (the conversation, the end user, their sends), never by walking all the creator's rows", async () => {
    const { creator } = await createCreator();
    const states = await Promise.all([0, 1, 2].map(() => createMirroredConversation(creator.id)));
    const flushes = states.map((state) => ({ state, rows: messages(1, ["hi", "hello"]), presence: { userSockets: 1, agentSockets: 0 } }));
    const plans: Record<string, string[]> = {};
    for (const s of batchStatements(env, flushes).statements as unknown as { statement: string; params: unknown[] }[]) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${s.statement}`).bind(...s.params).all<{ detail: string }>();
      plans[s.statement.replace(/\s+/g, " ").slice(0, 40)] = plan.results.map((r) => r.detail);
    }
    const mirror = Object.entries(plans).filter(([sql]) => /^(UPDATE (conversations|end_users)|INSERT INTO (messages|conversation_presence|activity_events)|WITH r)/.test(sql));
    expect(mirror.map(([sql]) => sql.split(" ").slice(0, 3).join(" ")).sort()).toEqual(
      ["INSERT INTO activity_events", "INSERT INTO conversation_presence", "INSERT INTO messages", "UPDATE conversations SET", "UPDATE end_users SET", "WITH r AS"].sort(),
    );
    for (const [sql, plan] of mirror) {
      // A search by the creator (or by a send's status) would visit every such row for each row of the JSON.
      expect(plan.filter((d) => /^SCAN (conversations|end_users|proactive_sends|messages)\b|\((creator_id|status)=\?/.test(d)), `${sql}: ${plan.join(" | ")}`).toEqual([]);
    }
  });
});
