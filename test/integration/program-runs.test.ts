// Running programs: enrolment, every node type, waits in the user's timezone across DST changes,
// questions answered through onUserMessage, timeouts, and durable steps (overlapping ticks,
// duplicate jobs, a crash between a step's effect and its commit).
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { onUserMessage } from "../../src/modules/programs/inbound";
import { api, createCreator, type Session } from "../helpers";
import { createEndUser, Engine, messagesOf, setClock } from "../support/engine";
import { coachingFlow, edge, node, simpleFlow } from "../support/flows";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
afterEach(() => setClock(null));
// Multi-day runs are dozens of ticks; on a loaded machine they need more than the default 5 s.
vi.setConfig({ testTimeout: 30_000 });

async function publishedProgram(owner: Session, flow: unknown, settings: Record<string, unknown> = {}) {
  const created = await json(await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "Run", flow_definition: flow, settings } }));
  const pub = await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token });
  expect(pub.status, JSON.stringify(await pub.clone().json())).toBe(200);
  return created.id as string;
}

async function enroll(owner: Session, userId: string, programId: string) {
  const res = await api(`/api/v1/users/${userId}/programs/${programId}/enroll`, { method: "POST", token: owner.access_token });
  return { status: res.status, body: await json(res) };
}

const enrollment = async (owner: Session, userId: string, programId: string) =>
  json(await api(`/api/v1/users/${userId}/programs/${programId}`, { token: owner.access_token }));

const enrollmentRow = (userId: string) =>
  env.DB.prepare("SELECT * FROM program_enrollments WHERE end_user_id = ? ORDER BY enrolled_at DESC LIMIT 1").bind(userId).first<Record<string, any>>();

describe("a multi-day program in Europe/Berlin across the spring DST change", () => {
  it("waits a local day (23 h across the change), asks, stores the answer, branches, tags, awards, completes", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const programId = await publishedProgram(owner, coachingFlow(), { completion_badge: "graduate", completion_badge_name: "Graduate" });
    const user = await createEndUser({ creatorId: cid, name: "Lena", timezone: "Europe/Berlin" });
    const engine = new Engine();

    setClock("2026-03-28T08:00:00Z"); // Saturday 09:00 CET; clocks go forward on Sunday 29 March
    const enrolled = await enroll(owner, user, programId);
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ program_id: programId, user_id: user, status: "active", version: 2 });
    expect((await enroll(owner, user, programId)).status).toBe(409);

    await engine.tick("2026-03-28T08:01:00Z");
    let msgs = await messagesOf(user);
    expect(msgs.map((m) => m.text)).toEqual(["Welcome Lena!"]);
    expect(msgs[0]).toMatchObject({ sender: "ai", seq: 1 });
    let view = await enrollment(owner, user, programId);
    // Next local day at the same wall-clock time: 09:01 CEST = 07:01 UTC, 23 hours later.
    expect(view.current_step).toEqual({ node_id: "wait1", type: "wait", waiting_for: "time", due_at: "2026-03-29T07:01:00.000Z" });
    expect(view.progress).toBeGreaterThan(0);
    expect(view.progress).toBeLessThan(1);

    await engine.tick("2026-03-29T07:00:00Z");
    expect(await messagesOf(user)).toHaveLength(1);
    await engine.tick("2026-03-29T07:01:00Z");
    msgs = await messagesOf(user);
    expect(msgs.map((m) => m.text)).toEqual(["Welcome Lena!", "What is your goal, Lena?"]);
    view = await enrollment(owner, user, programId);
    expect(view.current_step).toMatchObject({ node_id: "ask", waiting_for: "answer", due_at: "2026-03-30T07:01:00.000Z" });

    setClock("2026-03-29T10:00:00Z");
    const conversationId = msgs[0]!.conversation_id;
    expect(await onUserMessage(env, { creatorId: cid, endUserId: user, conversationId, text: "I want to run a 10k" })).toEqual({ consumed: true });
    // A second message is an ordinary chat message: nothing waits for it.
    expect(await onUserMessage(env, { creatorId: cid, endUserId: user, conversationId, text: "and sleep more" })).toEqual({ consumed: false });

    await engine.tick("2026-03-29T10:01:00Z");
    view = await enrollment(owner, user, programId);
    expect(view).toMatchObject({ status: "completed", progress: 1, current_step: null, completed_at: "2026-03-29T10:01:00.000Z" });
    expect(view.history.map((h: any) => `${h.node_id}:${h.outcome}`)).toEqual([
      "start:executed", "welcome:executed", "wait1:executed", "ask:asked", "ask:answered", "branch:executed", "runner:executed", "badge:executed", "end:executed",
    ]);
    expect(view.history.find((h: any) => h.outcome === "answered").detail).toEqual({ key: "goal", answer: "I want to run a 10k" });

    const profile = await json(await api(`/api/v1/users/${user}`, { token: owner.access_token }));
    expect(profile.profile_data.goal).toBe("I want to run a 10k");
    expect(profile.tags).toEqual(["runner"]);
    expect(profile.badges_earned.map((b: any) => b.badge_id).sort()).toEqual(["goal-set", "graduate"]);
    expect(profile.program_enrollments).toEqual([expect.objectContaining({ program_id: programId, status: "completed", progress: 1, program_name: "Run" })]);

    const program = await json(await api(`/api/v1/programs/${programId}`, { token: owner.access_token }));
    expect(program.analytics).toMatchObject({ total_enrollments: 1, completed_enrollments: 1, active_enrollments: 0, completion_rate: 1, engagement_score: 1 });
    expect(program.analytics.average_completion_time_days).toBe(1.08);
  });
});

describe("waits and timeouts in America/New_York across the autumn DST change", () => {
  it("a question times out along its timeout edge; 'until 09:00' lands on 09:00 EST after the change", async () => {
    const owner = await createCreator();
    const cid = owner.creator.id;
    const flow = {
      nodes: [
        node("start", "start"),
        node("ask", "question", { question: "Ready?", key: "ready", timeout_hours: 24 }),
        node("late", "send_message", { message: "We'll try again tomorrow morning." }),
        node("morning", "wait", { until_local_time: "09:00" }),
        node("hello", "send_message", { message: "Good morning {user_name}, it's 9." }),
        node("thanks", "send_message", { message: "Thanks!" }),
        node("end", "end"),
      ],
      edges: [edge("start", "ask"), edge("ask", "thanks", "answer"), edge("ask", "late", "timeout"), edge("late", "morning"), edge("morning", "hello"), edge("hello", "end"), edge("thanks", "end")],
    };
    const programId = await publishedProgram(owner, flow);
    const user = await createEndUser({ creatorId: cid, name: "Joe", timezone: "America/New_York" });
    const engine = new Engine();
    setClock("2026-10-31T12:00:00Z"); // 08:00 EDT; clocks go back on Sunday 1 November at 02:00
    expect((await enroll(owner, user, programId)).status).toBe(201);
    await engine.tick("2026-10-31T12:00:30Z");
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Ready?"]);

    await engine.tick("2026-11-01T12:00:00Z"); // 23.5 h later: not yet timed out
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Ready?"]);
    await engine.tick("2026-11-01T12:01:00Z"); // 07:01 EST: timed out → late → wait until 09:00 EST = 14:00 UTC
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Ready?", "We'll try again tomorrow morning."]);
    const view = await enrollment(owner, user, programId);
    expect(view.current_step).toMatchObject({ node_id: "morning", waiting_for: "time", due_at: "2026-11-01T14:00:00.000Z" });
    expect(view.history.map((h: any) => h.outcome)).toContain("timed_out");

    await engine.tick("2026-11-01T13:59:00Z");
    expect(await messagesOf(user)).toHaveLength(2);
    await engine.tick("2026-11-01T14:00:00Z");
    expect((await messagesOf(user)).map((m) => m.text).at(-1)).toBe("Good morning Joe, it's 9.");
    expect((await enrollment(owner, user, programId)).status).toBe("completed");
    // A late answer after the timeout is just a chat message.
    expect(await onUserMessage(env, { creatorId: cid, endUserId: user, conversationId: crypto.randomUUID(), text: "yes" })).toEqual({ consumed: false });
    const program = await json(await api(`/api/v1/programs/${programId}`, { token: owner.access_token }));
    expect(program.analytics.engagement_score).toBe(0);
  });
});

describe("durable steps", () => {
  it("overlapping ticks dispatch a due step once; duplicate jobs store its message once", async () => {
    const owner = await createCreator();
    const programId = await publishedProgram(owner, simpleFlow("Once only"));
    const user = await createEndUser({ creatorId: owner.creator.id });
    setClock("2026-05-01T10:00:00Z");
    await enroll(owner, user, programId);
    const engine = new Engine();
    await engine.tickOnly("2026-05-01T10:01:00Z");
    await engine.tickOnly("2026-05-01T10:01:30Z"); // overlaps: the first tick's lease holds
    expect(engine.pending).toHaveLength(1);
    engine.pending.push(engine.pending[0]!, engine.pending[0]!); // the queue delivers it three times
    const { jobs } = await engine.drain();
    expect(jobs).toHaveLength(3);
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Once only"]);
    expect((await enrollmentRow(user))!.status).toBe("completed");
  });

  it("dispatches many due enrolments in small chunks, each once", async () => {
    const owner = await createCreator();
    const programId = await publishedProgram(owner, simpleFlow("Chunked hello"));
    setClock("2026-05-01T10:00:00Z");
    const users: string[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await createEndUser({ creatorId: owner.creator.id });
      users.push(u);
      await enroll(owner, u, programId);
    }
    const engine = new Engine({ PROGRAM_DISPATCH_CHUNK: "2" });
    await engine.tickOnly("2026-05-01T10:01:00Z");
    await engine.tickOnly("2026-05-01T10:01:10Z");
    expect(engine.pending.map((j) => (j as { enrollmentId: string }).enrollmentId).length).toBe(5);
    expect(new Set(engine.pending.map((j) => (j as { enrollmentId: string }).enrollmentId)).size).toBe(5);
    await engine.drain();
    for (const u of users) expect(await messagesOf(u)).toHaveLength(1);
  });

  it("a step that fails is retried by the queue and then runs once", async () => {
    const owner = await createCreator();
    const programId = await publishedProgram(owner, simpleFlow("After the outage"));
    const user = await createEndUser({ creatorId: owner.creator.id });
    setClock("2026-05-01T10:00:00Z");
    await enroll(owner, user, programId);
    // The flow can't be read (as if D1 failed mid-step): the job throws and asks for a retry.
    const version = await env.DB.prepare("SELECT * FROM program_versions WHERE program_id = ?").bind(programId).first<Record<string, any>>();
    await env.DB.prepare("DELETE FROM program_versions WHERE id = ?").bind(version!.id).run();
    const engine = new Engine();
    await engine.tickOnly("2026-05-01T10:01:00Z");
    const failed = await engine.drain({ maxRounds: 1 });
    expect(failed.retried).toBe(1);
    expect(engine.pending).toHaveLength(1);
    expect(await messagesOf(user)).toEqual([]);
    await env.DB.prepare("INSERT INTO program_versions (id, creator_id, program_id, version, flow_definition, settings, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(version!.id, version!.creator_id, version!.program_id, version!.version, version!.flow_definition, version!.settings, version!.published_at)
      .run();
    const retried = await engine.drain();
    expect(retried.retried).toBe(0);
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["After the outage"]);
    expect((await enrollmentRow(user))!.status).toBe("completed");
  });

  it("a crash between a step's message and its commit: the retry neither repeats nor skips the step", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("start", "start"), node("a", "send_message", { message: "Step A" }), node("b", "send_message", { message: "Step B", delay_hours: 1 }), node("end", "end")],
      edges: [edge("start", "a"), edge("a", "b"), edge("b", "end")],
    };
    const programId = await publishedProgram(owner, flow);
    const user = await createEndUser({ creatorId: owner.creator.id });
    setClock("2026-05-01T10:00:00Z");
    await enroll(owner, user, programId);
    const engine = new Engine();
    await engine.tick("2026-05-01T10:00:10Z");
    const before = (await enrollmentRow(user))!;
    expect(before.current_node_id).toBe("b");

    await engine.tick("2026-05-01T11:00:10Z");
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Step A", "Step B"]);
    // Simulate the crash: the message of step "b" is stored, but its commit (history + move) is lost.
    await env.DB.batch([
      env.DB.prepare("UPDATE program_enrollments SET status = 'active', current_node_id = ?, step_index = ?, next_run_at = ?, completed_at = NULL, claimed_until = NULL WHERE id = ?").bind(
        before.current_node_id, before.step_index, before.next_run_at, before.id,
      ),
      env.DB.prepare("DELETE FROM enrollment_steps WHERE enrollment_id = ? AND step_index >= ?").bind(before.id, before.step_index),
    ]);
    await engine.tick("2026-05-01T11:05:00Z"); // the lease-free enrolment is due again: the retry
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["Step A", "Step B"]);
    const view = await enrollment(owner, user, programId);
    expect(view.status).toBe("completed");
    expect(view.history.map((h: any) => h.node_id)).toEqual(["start", "a", "b", "end"]);
  });
});

describe("enrolment lifecycle", () => {
  it("pause holds the program, resume continues it, cancel ends it, and a new enrolment may follow", async () => {
    const owner = await createCreator();
    const flow = {
      nodes: [node("start", "start"), node("a", "send_message", { message: "A" }), node("w", "wait", { hours: 2 }), node("b", "send_message", { message: "B" }), node("end", "end")],
      edges: [edge("start", "a"), edge("a", "w"), edge("w", "b"), edge("b", "end")],
    };
    const programId = await publishedProgram(owner, flow);
    const user = await createEndUser({ creatorId: owner.creator.id });
    const engine = new Engine();
    setClock("2026-06-01T10:00:00Z");
    await enroll(owner, user, programId);
    await engine.tick("2026-06-01T10:00:10Z");
    const path = `/api/v1/users/${user}/programs/${programId}`;
    const paused = await json(await api(`${path}/pause`, { method: "POST", token: owner.access_token }));
    expect(paused).toMatchObject({ status: "paused", paused_at: "2026-06-01T10:00:10.000Z" });
    expect((await api(`${path}/pause`, { method: "POST", token: owner.access_token })).status).toBe(409);
    expect((await enroll(owner, user, programId)).status).toBe(409);
    await engine.tick("2026-06-01T13:00:00Z");
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["A"]);
    expect((await json(await api(`${path}/resume`, { method: "POST", token: owner.access_token }))).status).toBe("active");
    await engine.tick("2026-06-01T13:01:00Z");
    expect((await messagesOf(user)).map((m) => m.text)).toEqual(["A", "B"]);
    expect((await api(`${path}/cancel`, { method: "POST", token: owner.access_token })).status).toBe(409); // completed already

    const again = await enroll(owner, user, programId);
    expect(again.status).toBe(201);
    const cancelled = await json(await api(`${path}/cancel`, { method: "POST", token: owner.access_token }));
    expect(cancelled).toMatchObject({ status: "cancelled", current_step: null });
    await engine.tick("2026-06-01T20:00:00Z");
    expect(await messagesOf(user)).toHaveLength(2);
  });

  it("enrolments keep their version; unpublished, archived, unknown and foreign programs are refused", async () => {
    const owner = await createCreator();
    const other = await createCreator();
    const programId = await publishedProgram(owner, simpleFlow("v1 says hi"));
    const early = await createEndUser({ creatorId: owner.creator.id });
    const late = await createEndUser({ creatorId: owner.creator.id });
    setClock("2026-06-01T10:00:00Z");
    await enroll(owner, early, programId);
    await api(`/api/v1/programs/${programId}`, { method: "PUT", token: owner.access_token, json: { flow_definition: simpleFlow("v2 says hi") } });
    // The edits aren't live until published: new enrolments still get the published version 2.
    expect((await enroll(owner, late, programId)).body.version).toBe(2);
    await api(`/api/v1/users/${late}/programs/${programId}/cancel`, { method: "POST", token: owner.access_token });
    await api(`/api/v1/programs/${programId}/publish`, { method: "POST", token: owner.access_token });
    // Publishing made version 3: new enrolments get it, the early one stays pinned to version 2.
    expect((await enroll(owner, late, programId)).body.version).toBe(3);
    await new Engine().tick("2026-06-01T10:01:00Z");
    expect((await messagesOf(early)).map((m) => m.text)).toEqual(["v1 says hi"]);
    expect((await messagesOf(late)).map((m) => m.text)).toEqual(["v2 says hi"]);

    const draft = await json(await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "D", flow_definition: simpleFlow() } }));
    expect((await enroll(owner, early, draft.id)).status).toBe(409);
    await api(`/api/v1/programs/${programId}/archive`, { method: "POST", token: owner.access_token });
    const fresh = await createEndUser({ creatorId: owner.creator.id });
    expect((await enroll(owner, fresh, programId)).status).toBe(409);
    expect((await enroll(owner, fresh, crypto.randomUUID())).status).toBe(404);
    expect((await enroll(owner, crypto.randomUUID(), programId)).status).toBe(404);
    expect((await enroll(other, fresh, programId)).status).toBe(404);
  });

  it("an ai_message node stores the assistant's answer as an ai message", async () => {
    const owner = await createCreator();
    const flow = { nodes: [node("start", "start"), node("ai", "ai_message", { prompt: "Encourage {user_name} about {goal}" }), node("end", "end")], edges: [edge("start", "ai"), edge("ai", "end")] };
    const programId = await publishedProgram(owner, flow);
    const user = await createEndUser({ creatorId: owner.creator.id, profile: { goal: "sleep" } });
    setClock("2026-06-01T10:00:00Z");
    await enroll(owner, user, programId);
    await new Engine().tick("2026-06-01T10:00:30Z");
    const msgs = await messagesOf(user);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.sender).toBe("ai");
    expect(msgs[0]!.text.length).toBeGreaterThan(0);
    expect(JSON.parse(msgs[0]!.metadata!)).toEqual({ kind: "program" });
    const view = await enrollment(owner, user, programId);
    expect(view.history[1].detail).toMatchObject({ delivered: true, model_used: expect.any(String) });
  });
});
