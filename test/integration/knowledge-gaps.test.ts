// Knowledge gaps: questions the assistant could not answer (fallback answers, handovers, low ratings)
// are recorded from real widget conversations and grouped by meaning with examples, counts and trend;
// greetings are not gaps; a retried flush records nothing twice; erased with the end user; bad input, tenancy.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api, createCreator } from "../helpers";
import { chatSetup, connect, openSession, widgetKeyOf } from "../realtime";

type Json = Record<string, any>;

async function gaps(token: string, query = "") {
  const res = await api(`/api/v1/analytics/knowledge-gaps${query}`, { token });
  return { status: res.status, body: (await res.json()) as Json };
}

/** One visitor asks each question in turn (no knowledge base: every answer is the fallback). */
async function ask(widgetKey: string, questions: string[]) {
  const session = await openSession(widgetKey);
  const tab = await connect(session.websocket_url, session.token);
  for (const [i, q] of questions.entries()) {
    await tab.say(`q${i}`, q);
    await tab.aiReply();
  }
  await conversationStub(env, session.conversation_id).flushOutbox();
  return { session, tab };
}

describe("knowledge gaps", () => {
  it("groups unanswered questions by meaning, with examples, counts, reasons and the trend", { timeout: 60_000 }, async () => {
    const { creator, tab: first, session: s0 } = await chatSetup();
    first.close();
    const token = creator.access_token;
    const widgetKey = await widgetKeyOf(token);
    const a = await ask(widgetKey, ["Hello", "How do I cancel my subscription?", "Do you ship to Canada?"]);
    const b = await ask(widgetKey, ["How can I cancel my subscription?", "Can I cancel my subscription online?"]);
    // A handover: the question before it is a gap too.
    b.tab.send({ type: "handover_request" });
    await b.tab.next("handover_initiated");
    await conversationStub(env, b.session.conversation_id).flushOutbox();
    // A retried flush of the same conversation records nothing twice.
    await conversationStub(env, b.session.conversation_id).flushOutbox();
    a.tab.close();
    b.tab.close();
    // Two questions of the period before (ten days ago), one on cancelling.
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    await env.DB.batch(
      ["How do I cancel my subscription now?", "What are your opening hours?"].map((q, i) =>
        env.DB.prepare("INSERT INTO unanswered_questions (id, creator_id, conversation_id, channel, question, reason, created_at) VALUES (?, ?, ?, 'widget', ?, 'fallback', ?)").bind(`old:${i}`, creator.creator.id, s0.conversation_id, q, old),
      ),
    );

    const res = await gaps(token, "?period=7d");
    expect(res.status).toBe(200);
    const body = res.body;
    // Hello is not a gap; the handover's question is recorded once with its own reason.
    expect(body.total_questions).toBe(5);
    expect(body.previous_total_questions).toBe(2);
    const [top, ...rest] = body.gaps as Json[];
    expect([...top!.examples].sort()).toEqual(["Can I cancel my subscription online?", "How can I cancel my subscription?", "How do I cancel my subscription?"]);
    expect(top).toMatchObject({ count: 4, previous_count: 1, trend: "increasing", change_rate: 3, reasons: { fallback: 3, handover: 1, low_rating: 0 } });
    expect(rest.map((g) => g.examples)).toEqual([["Do you ship to Canada?"]]);
    expect(rest[0]).toMatchObject({ count: 1, previous_count: 0, trend: "new" });
    // Each group names the conversations its questions came from (the handover's conversation first: newest).
    expect(top!.conversation_ids).toEqual([b.session.conversation_id, a.session.conversation_id]);
    expect(rest[0]!.conversation_ids).toEqual([a.session.conversation_id]);
    expect(body.embedding_model).toMatch(/^local-/);

    // Embeddings are stored once: a second read embeds nothing new and answers the same.
    const again = await gaps(token, "?period=7d");
    expect(again.body.gaps).toEqual(body.gaps);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM unanswered_questions WHERE creator_id = ? AND embedding IS NOT NULL").bind(creator.creator.id).first<{ n: number }>();
    expect(stored!.n).toBe(7);

    // Another creator sees none of it.
    const stranger = await createCreator();
    const theirs = await gaps(stranger.access_token);
    expect(theirs.body).toMatchObject({ total_questions: 0, gaps: [] });
  });

  it("a low rating records the conversation's last question; erased with the end user", { timeout: 30_000 }, async () => {
    const { creator, session, tab } = await chatSetup();
    await tab.say("q1", "Where can I download my invoice?");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    tab.close();
    const token = creator.access_token;
    const rated = await api(`/api/v1/conversations/${session.conversation_id}/rating`, { method: "POST", token, json: { score: 1 } });
    expect(rated.status).toBe(201);
    const { body } = await gaps(token);
    expect(body.gaps).toHaveLength(1);
    expect(body.gaps[0]).toMatchObject({ count: 2, examples: ["Where can I download my invoice?"], reasons: { fallback: 1, low_rating: 1 } });

    const conv = await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>();
    const erased = await api(`/api/v1/users/${conv!.end_user_id}`, { method: "DELETE", token });
    expect(erased.status).toBeLessThan(300);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM unanswered_questions WHERE creator_id = ?").bind(creator.creator.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
  });

  it("refuses bad input", async () => {
    const { access_token: token } = await createCreator();
    for (const q of ["?period=2d", "?limit=0", "?limit=101", "?limit=x"]) {
      const res = await gaps(token, q);
      expect(res.status, q).toBe(422);
      expect(res.body.error.code).toBe("VALIDATION_ERROR");
    }
    expect((await api("/api/v1/analytics/knowledge-gaps")).status).toBe(401);
  });
});
