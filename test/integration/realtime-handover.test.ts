// Human handover: the user's request, a phrase, low confidence; agents join, write, release.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api, createCreator } from "../helpers";
import { chatSetup, connect, createAgent } from "../realtime";

async function mirrored(conversationId: string) {
  await conversationStub(env, conversationId).flushOutbox();
  const rows = await env.DB.prepare("SELECT seq, sender, sender_name, text FROM messages WHERE conversation_id = ? ORDER BY seq")
    .bind(conversationId)
    .all<{ seq: number; sender: string; sender_name: string | null; text: string }>();
  const conv = await env.DB.prepare("SELECT status, assigned_member_id FROM conversations WHERE id = ?")
    .bind(conversationId)
    .first<{ status: string; assigned_member_id: string | null }>();
  return { messages: rows.results, conversation: conv! };
}

describe("handover", () => {
  it("on handover_request: waiting_human, agents see it in their queue, join, write with their name, release back to the AI", async () => {
    const { creator, session, tab } = await chatSetup();
    const cid = session.conversation_id;
    tab.send({ type: "handover_request" });
    expect(await tab.next("handover_initiated")).toMatchObject({ reason: "user_request" });
    // The AI is paused: this question gets no answer.
    await tab.say("q-waiting", "Is anyone there?");
    let state = await mirrored(cid);
    expect(state.conversation.status).toBe("waiting_human");

    const agent = await createAgent(creator.access_token, "Jane Smith");
    const queue = await api("/api/v1/conversations?status=waiting_human", { token: agent.access_token });
    expect(queue.status).toBe(200);
    const listed = (await queue.json()) as { conversations: { id: string }[]; pagination: { total: number } };
    expect(listed.conversations.map((c) => c.id)).toContain(cid);

    const desk = await connect(`/api/v1/conversations/${cid}/connect`, agent.access_token);
    expect(await tab.next("agent_joined")).toMatchObject({ agent: { id: agent.member_id, name: "Jane Smith" } });
    expect(await desk.next("agent_joined")).toMatchObject({ agent: { name: "Jane Smith" } });
    // Notices carry a code (and the agent's name) for the widget to show in its language.
    expect(await tab.next((f) => f.type === "message" && f.sender === "system" && /joined/.test(String(f.text)))).toMatchObject({
      notice: { code: "agent_joined", name: "Jane Smith" },
    });
    // The agent catches up on the history, including the unanswered question.
    desk.send({ type: "resume", afterSeq: 0 });
    await desk.next((f) => f.type === "message" && f.text === "Is anyone there?");

    await desk.say("a-1", "Hi, I'm Jane. How can I help?");
    expect(await tab.next((f) => f.type === "message" && f.sender === "agent")).toMatchObject({
      text: "Hi, I'm Jane. How can I help?",
      senderName: "Jane Smith",
    });
    state = await mirrored(cid);
    expect(state.conversation.assigned_member_id).toBe(agent.member_id);

    desk.send({ type: "release" });
    expect(await tab.next("agent_left")).toMatchObject({ reason: "released", agent: { name: "Jane Smith" } });
    await desk.next("agent_left");
    await tab.say("q-after", "Thanks! One more question for the assistant.");
    await tab.aiReply();

    state = await mirrored(cid);
    expect(state.conversation).toEqual({ status: "active", assigned_member_id: null });
    // Exactly one AI answer, to the question asked after the release.
    expect(state.messages.map((m) => m.sender)).toEqual(["system", "user", "system", "agent", "system", "user", "ai"]);
    expect(state.messages.find((m) => m.sender === "agent")?.sender_name).toBe("Jane Smith");
    tab.close();
    desk.close();
  });

  it("hands over when the user asks for a human in words, without an AI answer", async () => {
    const { session, tab } = await chatSetup();
    await tab.say("p-1", "I want to talk to a human please");
    expect(await tab.next("handover_initiated")).toMatchObject({ reason: "phrase" });
    const state = await mirrored(session.conversation_id);
    expect(state.conversation.status).toBe("waiting_human");
    expect(state.messages.map((m) => m.sender)).toEqual(["user", "system"]);
    tab.close();
  });

  it("hands over after an answer below the creator's confidence threshold", async () => {
    const { creator, session, tab } = await chatSetup();
    const put = await api("/api/v1/creators/profile", {
      method: "PUT",
      token: creator.access_token,
      json: { settings: { handover_confidence_threshold: 1 } },
    });
    expect(put.status).toBe(200);
    await tab.say("l-1", "What is the meaning of everything?");
    await tab.aiReply();
    expect(await tab.next("handover_initiated")).toMatchObject({ reason: "low_confidence" });
    expect((await mirrored(session.conversation_id)).conversation.status).toBe("waiting_human");
    tab.close();
  });

  it("tells everyone when the agent disconnects, and POST /release hands back to the AI", async () => {
    const { creator, session, tab } = await chatSetup();
    const cid = session.conversation_id;
    const agent = await createAgent(creator.access_token);
    const desk = await connect(`/api/v1/conversations/${cid}/connect`, agent.access_token);
    await tab.next("agent_joined");
    desk.close();
    expect(await tab.next("agent_left")).toMatchObject({ reason: "disconnected" });
    expect((await mirrored(cid)).conversation.status).toBe("waiting_human");
    const other = await api(`/api/v1/conversations/${cid}/release`, { method: "POST", token: (await createCreator()).access_token });
    expect(other.status).toBe(404);
    const res = await api(`/api/v1/conversations/${cid}/release`, { method: "POST", token: agent.access_token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "active", assigned_member_id: null });
    await tab.say("r-1", "back to the bot");
    await tab.aiReply();
    tab.close();
  });

  it("refuses handover_request from an agent socket and release from a user socket", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const desk = await connect(`/api/v1/conversations/${session.conversation_id}/connect`, agent.access_token);
    desk.send({ type: "handover_request" });
    expect(await desk.next("error")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    tab.send({ type: "release" });
    expect(await tab.next("error")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });
    tab.close();
    desk.close();
  });
});
