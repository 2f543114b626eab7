// The mirror hints leave statements out of a flush only where they could change nothing: the same
// conversation flushed with every statement (NO_HINTS) and with the hints the outbox computes gives
// the same rollups, segment rollups, per-conversation facts and activity events, with fewer statements.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { batchStatements } from "../../durable-objects/mirror-writer";
import { batchAnalytics } from "../../src/modules/analytics";
import { ENGAGED_USER_MESSAGES, NO_HINTS, type MirrorHints } from "../../src/realtime";
import type { ConversationState, StoredMessage } from "../../src/realtime/log";
import { conversationState, createCreator, createMirroredConversation } from "../helpers";

type Row = Record<string, unknown>;

/** A creator's analytics with the ids taken out, so two creators' figures compare directly. */
async function analyticsOf(creatorId: string): Promise<{ rollups: Row[]; segments: Row[]; conversation: Row[]; events: Row[]; gaps: Row[] }> {
  const counters =
    "granularity, bucket, user_messages, ai_messages, agent_messages, unanswered, conversations, new_users, engaged_conversations, handovers, resolved, ai_resolved, response_count, human_reply_count";
  const q = (sql: string) => env.DB.prepare(sql).bind(creatorId).all<Row>().then((r) => r.results);
  return {
    rollups: await q(`SELECT channel, ${counters} FROM analytics_rollups WHERE creator_id = ? ORDER BY 1, 2, 3`),
    segments: await q(`SELECT dimension, segment, ${counters} FROM analytics_segment_rollups WHERE creator_id = ? ORDER BY 1, 2, 3, 4`),
    conversation: await q("SELECT awaiting_human, handover_at IS NOT NULL AS handed_over FROM conversation_analytics WHERE creator_id = ?"),
    events: await q("SELECT type, count(*) AS n FROM activity_events WHERE creator_id = ? GROUP BY type ORDER BY type"),
    gaps: await q("SELECT reason, question FROM unanswered_questions WHERE creator_id = ? ORDER BY reason, question"),
  };
}

describe("mirror hints", () => {
  it("leave out only statements that change nothing: all statements and hinted flushes count the same", async () => {
    const [a, b] = [await createCreator(), await createCreator()];
    const full = await createMirroredConversation(a.creator.id);
    const hinted = await createMirroredConversation(b.creator.id);
    const at = () => new Date().toISOString();
    const msg = (seq: number, sender: StoredMessage["sender"], text: string): StoredMessage => ({
      id: crypto.randomUUID(),
      seq,
      sender,
      text,
      createdAt: at(),
      ...(sender === "ai" && { sources: [] }),
      ...(sender === "agent" && { senderId: "m1", senderName: "Jane" }),
    });
    // The flushes of one conversation: state changes and messages, as the outbox would send them.
    const steps: { state: Partial<ConversationState>; rows: (seq: number) => StoredMessage[] }[] = [
      { state: {}, rows: (s) => [msg(s, "user", "How do I start running?"), msg(s + 1, "ai", "Slowly.")] },
      { state: {}, rows: (s) => [msg(s, "user", "And how often?")] },
      { state: { status: "waiting_human", handover: "waiting" }, rows: (s) => [msg(s, "user", "I want a human please")] },
      { state: {}, rows: (s) => [msg(s, "user", "Still there?")] },
      { state: { status: "waiting_human", handover: "agent", agent: { id: "m1", name: "Jane" } }, rows: (s) => [msg(s, "agent", "Jane here.")] },
      { state: {}, rows: (s) => [msg(s, "user", "Thanks Jane"), msg(s + 1, "agent", "Welcome")] },
      { state: { status: "completed", handover: "ai", agent: null }, rows: () => [] },
      { state: {}, rows: (s) => [msg(s, "user", "One more thing")] },
    ];
    let seq = 1;
    let userMirrored = 0;
    let mirrored = 0;
    let lastWritten = "";
    let fullCount = 0;
    let hintedCount = 0;
    for (const step of steps) {
      // The same messages in both conversations, each with its own ids (message ids are global keys).
      const rows = step.rows(seq);
      const twins = rows.map((m) => ({ ...m, id: crypto.randomUUID() }));
      seq += rows.length;
      Object.assign(full, step.state);
      Object.assign(hinted, step.state);
      const written = JSON.stringify([hinted.status, hinted.agent]);
      const hints: MirrorHints = {
        stateChanged: written !== lastWritten,
        mirroredBefore: mirrored > 0,
        activeDay: userMirrored > 0 ? at().slice(0, 10) : null,
        engaged: userMirrored >= ENGAGED_USER_MESSAGES,
      };
      const all = batchStatements(env, [{ state: full, rows, presence: null, hints: NO_HINTS }]).statements;
      const some = batchStatements(env, [{ state: hinted, rows: twins, presence: null, hints }]).statements;
      fullCount += all.length;
      hintedCount += some.length;
      await env.DB.batch(all);
      await env.DB.batch(some);
      lastWritten = written;
      mirrored += rows.length;
      userMirrored += rows.filter((m) => m.sender === "user").length;
    }
    const [x, y] = [await analyticsOf(a.creator.id), await analyticsOf(b.creator.id)];
    expect(y).toEqual(x);
    // The figures are the conversation's, not empty tables that trivially agree.
    const day = x.rollups.find((r) => r.granularity === "d")!;
    expect(day).toMatchObject({ user_messages: 6, ai_messages: 1, agent_messages: 2, conversations: 1, engaged_conversations: 1, handovers: 1, resolved: 1, ai_resolved: 0, human_reply_count: 1 });
    expect(x.events.map((e) => e.type)).toEqual(expect.arrayContaining(["conversation.created", "escalation.created", "conversation.resolved", "conversation.agent_joined"]));
    // And the hints do save statements: every flush after the state settled is smaller.
    expect(hintedCount).toBeLessThan(fullCount - 10);
  });

  it("an engaged conversation's ordinary message in a handed-over conversation costs no rollup that can't change", () => {
    const state = conversationState({
      conversationId: crypto.randomUUID(),
      creatorId: crypto.randomUUID(),
      endUserId: crypto.randomUUID(),
      channel: "web",
      status: "waiting_human",
      handover: "waiting",
    });
    const rows: StoredMessage[] = [{ id: crypto.randomUUID(), seq: 9, sender: "user", text: "hello?", createdAt: new Date().toISOString() }];
    const settled: MirrorHints = { stateChanged: false, mirroredBefore: true, activeDay: rows[0]!.createdAt.slice(0, 10), engaged: true };
    const analytics = (hints: MirrorHints) => batchAnalytics(env, state.creatorId, [{ state, rows, hints }]);
    // Message counters for the channel and the segments, and the message's activity event: nothing else.
    expect(analytics(settled)).toHaveLength(3);
    expect(analytics(NO_HINTS).length).toBeGreaterThan(10);
  });
});
