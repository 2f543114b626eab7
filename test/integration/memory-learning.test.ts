// The assistant remembers: explicit statements and profile fields become long-term memories after
// each user turn (offline), an LLM extraction prompt adds more (OpenAI-compatible stand-in server);
// memories answer later questions, reach program templates and the agents' conversation view.
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { explicitFacts, parseExtraction, askedMemoryKey } from "../../src/ai/memory-facts";
import { answer, MEMORY_MODEL } from "../../src/ai/answer";
import { learnFromTurn } from "../../src/modules/memory";
import { renderTemplate } from "../../src/modules/programs/template";
import { eventually } from "../channel-helpers";
import { api, createCreator } from "../helpers";
import { chatSetup } from "../realtime";

async function endUserOf(creatorId: string): Promise<string> {
  const row = await env.DB.prepare("SELECT id FROM end_users WHERE creator_id = ? ORDER BY created_at DESC LIMIT 1").bind(creatorId).first<{ id: string }>();
  return row!.id;
}

describe("explicit statements (offline rules)", () => {
  it("reads goals, training, injuries, timezone, diet and notes, and nothing from questions", () => {
    const facts = (t: string) => Object.fromEntries(explicitFacts(t).map((f) => [f.key, f.value]));
    expect(facts("My goal is to run a half marathon in May. Thanks!")).toEqual({ goal: "run a half marathon in May" });
    expect(facts("I'm training for a 10k, and I have a left knee injury")).toEqual({ goal: "train for a 10k", injuries: "left knee injury" });
    expect(facts("I sprained my ankle last week")).toEqual({ injuries: "ankle injury" });
    expect(facts("my timezone is Europe/Berlin")).toEqual({ timezone: "Europe/Berlin" });
    expect(facts("I'm vegetarian")).toEqual({ diet: "vegetarian" });
    expect(facts("Please remember that I work night shifts.")).toEqual({ note_work_night_shifts: "I work night shifts" });
    for (const q of ["What is my goal?", "I have a question about my injury", "Do you have an injury policy?", "I want to cancel my subscription", "How much protein should I eat?"]) {
      expect(explicitFacts(q)).toEqual([]);
    }
    expect(askedMemoryKey("what's my goal?")).toBe("goal");
    expect(askedMemoryKey("Do you remember my injury?")).toBe("injuries");
    expect(askedMemoryKey("What is a good goal for beginners?")).toBeNull();
  });

  it("parses the model's extraction defensively", () => {
    expect(parseExtraction('Here: {"memories":[{"key":"goal","value":"lose 5 kg"},{"key":"Bad Key","value":"x"},{"key":"diet","value":{"a":1}}]}')).toEqual([{ key: "goal", value: "lose 5 kg" }]);
    expect(parseExtraction("not json")).toEqual([]);
    expect(parseExtraction('{"memories":"nope"}')).toEqual([]);
  });

  it("renders {memory.goal} in program message templates, empty when unknown", () => {
    const user = { displayName: "Ana", profile: { goal: "profile goal" }, memory: { goal: "run a marathon" } };
    expect(renderTemplate("Hi {user_name}, how is '{memory.goal}' going? ({profile.goal}) {memory.unknown}!", user)).toBe("Hi Ana, how is 'run a marathon' going? (profile goal) !");
  });
});

describe("memory learnt in conversation", { timeout: 90_000 }, () => {
  it("stores what the user says after their turn, answers from it, and shows it to agents", async () => {
    const { creator, session, tab } = await chatSetup();
    await tab.say("m1", "Hi! My goal is to run a half marathon in May. I have a knee injury.");
    await tab.next((f) => f.type === "message" && f.sender === "ai");
    const user = await endUserOf(creator.creator.id);
    const stored = (await (await api(`/api/memory/memories/${user}?type=long_term`, { token: creator.access_token })).json()) as { memories: any[] };
    expect(Object.fromEntries(stored.memories.map((m) => [m.key, m.value]))).toEqual({ goal: "run a half marathon in May", injuries: "knee injury" });
    expect(stored.memories[0].metadata).toMatchObject({ source: "statement", conversation_id: session.conversation_id });

    await tab.say("m2", "What is my goal?");
    const reply = await tab.next((f) => f.type === "message" && f.sender === "ai" && f.text.includes("half marathon"));
    expect(reply.text).toBe("You told me your goal: run a half marathon in May.");

    const view = (await (await api(`/api/v1/conversations/${session.conversation_id}`, { token: creator.access_token })).json()) as { memory: any[] };
    expect(view.memory.map((m) => `${m.key}=${m.value}@${m.source}`).sort()).toEqual(["goal=run a half marathon in May@statement", "injuries=knee injury@statement"]);
    // The customer-support session context: the widget session names the same conversation's context.
    // The context reads the D1 mirror, which the conversation's object writes in its own time.
    const ctx = await eventually(async () => {
      const c = (await (await api(`/api/core/sessions/${session.session_id}/context`, { token: creator.access_token })).json()) as any;
      return c.context.conversation_history.length >= 4 && c;
    }, "mirrored session context");
    expect(ctx).toMatchObject({ sessionId: session.session_id, conversationId: session.conversation_id, userId: user, channel: "widget" });
    expect(ctx.context.conversation_history[0]).toEqual({ role: "user", content: "Hi! My goal is to run a half marathon in May. I have a knee injury." });
    expect(ctx.context.memory).toEqual({ goal: "run a half marathon in May", injuries: "knee injury" });
    expect(ctx.context.last_interaction).toEqual(expect.any(String));
    const byConversation = (await (await api(`/api/core/sessions/${session.conversation_id}/context`, { token: creator.access_token })).json()) as any;
    expect(byConversation.context).toEqual(ctx.context);
    expect((await api(`/api/core/sessions/not-a-uuid/context`, { token: creator.access_token })).status).toBe(422);
    expect((await api(`/api/core/sessions/${crypto.randomUUID()}/context`, { token: creator.access_token })).status).toBe(404);
    expect((await api(`/api/core/sessions/${session.session_id}/context`)).status).toBe(401);
    // Another creator sees neither the conversation, its session nor the memories.
    const other = await createCreator();
    expect((await api(`/api/core/sessions/${session.session_id}/context`, { token: other.access_token })).status).toBe(404);
    expect((await api(`/api/v1/conversations/${session.conversation_id}`, { token: other.access_token })).status).toBe(404);
    expect((await api(`/api/memory/memories/${user}`, { token: other.access_token })).status).toBe(404);
    tab.close();
  });

  it("remembers profile fields without overriding what the user said", async () => {
    const { creator, session, tab } = await chatSetup();
    tab.close();
    const user = await endUserOf(creator.creator.id);
    await env.DB.prepare("UPDATE end_users SET profile = ?, timezone = 'Europe/Lisbon' WHERE id = ?").bind(JSON.stringify({ goal: "get fitter", level: "beginner", nested: { x: 1 } }), user).run();
    const turn = { creatorId: creator.creator.id, endUserId: user, conversationId: session.conversation_id };
    expect((await learnFromTurn(env, { ...turn, text: "hello" })).map((f) => f.key).sort()).toEqual(["goal", "level", "timezone"]);
    await learnFromTurn(env, { ...turn, text: "My goal is to deadlift 100 kg." });
    // The profile's goal doesn't replace the stated one on later turns.
    expect(await learnFromTurn(env, { ...turn, text: "ok" })).toEqual([]);
    const r = await answer(env, { creatorId: creator.creator.id, endUserId: user, message: "what's my goal?" });
    expect(r).toMatchObject({ response: "You told me your goal: deadlift 100 kg.", model_used: MEMORY_MODEL, sources: [] });
    // Without the end user (or for another creator's user id) nothing is recalled.
    const other = await createCreator();
    expect((await answer(env, { creatorId: other.creator.id, endUserId: user, message: "what's my goal?" })).model_used).not.toBe(MEMORY_MODEL);
  });

  it("with an LLM provider, extracts facts by a prompt after each turn and drops malformed replies", async () => {
    const { creator, session, tab } = await chatSetup();
    tab.close();
    const user = await endUserOf(creator.creator.id);
    const url = inject("openaiStubUrl");
    const base = url.replace(/\/v1$/, "");
    await fetch(`${base}/__log`, { method: "DELETE" });
    const openaiEnv = { ...env, AI_PROVIDER: "openai", OPENAI_BASE_URL: url, OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed" };
    const turn = { creatorId: creator.creator.id, endUserId: user, conversationId: session.conversation_id };
    const learnt = await learnFromTurn(openaiEnv, { ...turn, text: "I really enjoy early morning runs. My timezone is America/New_York" });
    expect(learnt).toEqual(expect.arrayContaining([{ key: "preference", value: "early morning runs" }, { key: "timezone", value: "America/New_York" }]));
    const log = (await (await fetch(`${base}/__log`)).json()) as { path: string; body: any }[];
    const call = log.find((l) => l.path === "/v1/chat/completions")!.body;
    expect(call.messages[0].content).toMatch(/^MEMORY_EXTRACTION/);
    expect(call.messages[1]).toEqual({ role: "user", content: "I really enjoy early morning runs. My timezone is America/New_York" });
    const rows = await env.DB.prepare("SELECT key, json_extract(metadata, '$.source') AS source FROM end_user_memories WHERE end_user_id = ? ORDER BY key").bind(user).all();
    expect(rows.results).toEqual([{ key: "preference", source: "extraction" }, { key: "timezone", source: "statement" }]);
    expect(await learnFromTurn(openaiEnv, { ...turn, text: "BAD_JSON I like nothing" })).toEqual([]);
  });
});
