// The message path's savings keep their meaning (issue 16, speed): the chat limit is leased from the
// shared limiter a tenth at a time, the memory skips messages that can teach it nothing (and still
// learns a statement at once), and a flush leaves out statements the object knows are no-ops while
// every transition is still recorded exactly once; and a MirrorWriter batch writes each kind of mirror
// statement once for all its conversations.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { batchStatements } from "../../durable-objects/mirror-writer";
import { conversationStub, type MirrorHints, type StoredMessage } from "../../src/realtime";
import { eventually } from "../channel-helpers";
import { conversationState } from "../helpers";
import { chatSetup } from "../realtime";

const endUserOf = async (conversationId: string) =>
  (await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(conversationId).first<{ end_user_id: string }>())!.end_user_id;

const memories = async (endUserId: string) =>
  Object.fromEntries(
    (await env.DB.prepare("SELECT key, value FROM end_user_memories WHERE end_user_id = ?").bind(endUserId).all<{ key: string; value: string }>()).results.map((r) => [r.key, JSON.parse(r.value)]),
  );

describe("the message path's cost savings", () => {
  it("leases the end user's chat budget ten hits at a time: the shared counter moves once per ten messages", async () => {
    const { session, tab } = await chatSetup();
    tab.send({ type: "handover_request" });
    await tab.next("handover_initiated");
    const counter = async () =>
      runInDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`enduser:${await endUserOf(session.conversation_id)}`)), (_o, state) =>
        state.storage.sql.exec<{ count: number }>("SELECT count FROM counters WHERE key = 'enduser:chat'").toArray()[0]?.count ?? 0,
      );
    await tab.say("l1", "one");
    expect(await counter()).toBe(10);
    for (let i = 2; i <= 10; i++) await tab.say(`l${i}`, `message ${i}`);
    expect(await counter()).toBe(10);
    await tab.say("l11", "eleven");
    expect(await counter()).toBe(20);
    tab.close();
  });

  it("memory: an ordinary message right after another reads nothing, a stated fact is learnt at once", async () => {
    const { session, tab } = await chatSetup();
    tab.send({ type: "handover_request" });
    await tab.next("handover_initiated");
    const user = await endUserOf(session.conversation_id);
    await env.DB.prepare("UPDATE end_users SET profile = ? WHERE id = ?").bind(JSON.stringify({ level: "beginner" }), user).run();
    // The end user's first message: the profile is read (learning runs after the ack).
    await tab.say("p1", "hello");
    await eventually(async () => (await memories(user)).level === "beginner", "the profile's level");
    await env.DB.prepare("UPDATE end_users SET profile = ? WHERE id = ?").bind(JSON.stringify({ level: "beginner", sport: "rowing" }), user).run();
    // Nothing to learn from "ok", and the profile was read a moment ago: it is not read again yet.
    await tab.say("p2", "ok");
    await new Promise((r) => setTimeout(r, 1000));
    expect((await memories(user)).sport).toBeUndefined();
    // A statement is learnt with its own message, and the profile comes along in the same pass.
    await tab.say("p3", "My goal is to run a 10k in June.");
    const learnt = await eventually(async () => {
      const m = await memories(user);
      return m.goal ? m : undefined;
    }, "the stated goal");
    expect(String(learnt.goal)).toContain("10k");
    expect(learnt.sport).toBe("rowing");
    tab.close();
  });

  it("records the handover's events once though later flushes leave the transition statements out", async () => {
    const { session, tab } = await chatSetup();
    await tab.say("h0", "before the handover");
    await conversationStub(env, session.conversation_id).flushOutbox();
    tab.send({ type: "handover_request" });
    await tab.next("handover_initiated");
    for (let i = 1; i <= 5; i++) {
      await tab.say(`h${i}`, `waiting ${i}`);
      await conversationStub(env, session.conversation_id).flushOutbox();
    }
    const events = await env.DB.prepare("SELECT type, count(*) AS n FROM activity_events WHERE json_extract(data, '$.conversation_id') = ? GROUP BY type")
      .bind(session.conversation_id)
      .all<{ type: string; n: number }>();
    const byType = Object.fromEntries(events.results.map((e) => [e.type, e.n]));
    expect(byType["conversation.created"]).toBe(1);
    expect(byType["escalation.created"]).toBe(1);
    expect(byType["conversation.status_changed"]).toBe(1);
    expect(byType["message.received"]).toBe(6);
    const gaps = await env.DB.prepare("SELECT count(*) AS n FROM unanswered_questions WHERE conversation_id = ? AND reason = 'handover'").bind(session.conversation_id).first<{ n: number }>();
    expect(gaps!.n).toBe(1);
    const rollup = await env.DB.prepare("SELECT conversations, user_messages, handovers, engaged_conversations FROM analytics_rollups WHERE creator_id = (SELECT creator_id FROM conversations WHERE id = ?) AND granularity = 'd'")
      .bind(session.conversation_id)
      .first<{ conversations: number; user_messages: number; handovers: number; engaged_conversations: number }>();
    // Counted once each, though the object knows after two flushes that the conversation is engaged
    // and after the handover's flush that D1 holds its status (those statements are left out then).
    expect(rollup).toMatchObject({ conversations: 1, user_messages: 6, handovers: 1, engaged_conversations: 1 });
    tab.close();
  });

  it("a MirrorWriter batch costs the same few mirror statements for 1 or 100 conversations; only each one's rollups grow with them", () => {
    const creatorId = crypto.randomUUID();
    // The benchmark's case: an ordinary user message in a handed-over conversation D1 already knows.
    const flush = () => {
      const state = conversationState({ conversationId: crypto.randomUUID(), creatorId, endUserId: crypto.randomUUID(), channel: "web", status: "waiting_human", handover: "waiting" });
      const rows: StoredMessage[] = [{ id: crypto.randomUUID(), seq: 9, sender: "user", text: "still there?", createdAt: new Date().toISOString() }];
      const hints: MirrorHints = { stateChanged: false, mirroredBefore: true, activeDay: rows[0]!.createdAt.slice(0, 10), engaged: true };
      return { state, rows, presence: null, hints };
    };
    const cost = (n: number) => {
      const statements = batchStatements(env, Array.from({ length: n }, flush)).statements as unknown as { statement: string }[];
      return { all: statements.length, messageInserts: statements.filter((s) => s.statement.startsWith("INSERT INTO messages")).length };
    };
    // Per conversation: its channel and segment message counters. Per batch: the message events, the
    // conversations UPDATE, the message inserts, the end users' last activity, the proactive success mark.
    expect(cost(1)).toEqual({ all: 2 + 5, messageInserts: 1 });
    expect(cost(10)).toEqual({ all: 2 * 10 + 5, messageInserts: 1 });
    expect(cost(100)).toEqual({ all: 2 * 100 + 5, messageInserts: 1 });
  });
});
