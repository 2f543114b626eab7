// Background tasks on Cloudflare Workflows (run by miniflare): research and analysis reports.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const OPERATOR = { Authorization: `Bearer ${env.OPERATOR_API_KEY}`, "Content-Type": "application/json" };

async function waitForState(token: string, taskId: string, state: string) {
  let last: Record<string, any> = {};
  await vi.waitFor(
    async () => {
      last = await json(await api(`/api/v1/tasks/${taskId}/status`, { token }));
      expect(last.state).toBe(state);
    },
    { timeout: 60_000, interval: 250 },
  );
  return last;
}

describe("POST /api/v1/tasks/research", { timeout: 90_000 }, () => {
  it("runs retrieve → summarise → compose and returns an extractive, cited report", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "recovery.md", "# Recovery\nRest days let muscles repair. Take two rest days every week.\n\n# Sleep\nSleep eight hours before a race.");
    const started = await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "rest days", knowledge_base_id: kb.id } });
    expect(started.status).toBe(202);
    const task = await json(started);
    expect(task).toMatchObject({ kind: "research", progress: 0, status_url: `/api/v1/tasks/${task.task_id}/status` });
    const done = await waitForState(s.access_token, task.task_id, "completed");
    expect(done).toMatchObject({ progress: 100, step: "done", error: null });
    const results = await json(await api(`/api/v1/tasks/${task.task_id}/results`, { token: s.access_token }));
    expect(results.report.title).toBe("Research: rest days");
    expect(results.report.method).toMatch(/^extractive/);
    expect(results.report.model_used).toBe("extractive (local)");
    expect(results.report.sections[0].document_title).toBe("recovery");
    expect(results.report.sections[0].key_points.join(" ")).toMatch(/two rest days every week/);
    expect(results.report.sources).toEqual([expect.objectContaining({ document_title: "recovery" })]);
    const listed = await json(await api("/api/v1/tasks", { token: s.access_token }));
    expect(listed.tasks.map((t: any) => t.task_id)).toContain(task.task_id);
  });

  it("rejects bad input, another creator's knowledge base and unknown tasks", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const kb = await createKb(b.access_token);
    for (const body of [{}, { topic: "x" }, { topic: "fine topic", knowledge_base_id: "nope" }, { topic: "fine topic", extra: 1 }]) {
      expect((await api("/api/v1/tasks/research", { method: "POST", token: a.access_token, json: body })).status, JSON.stringify(body)).toBe(422);
    }
    expect((await api("/api/v1/tasks/research", { method: "POST", token: a.access_token, json: { topic: "rest days", knowledge_base_id: kb.id } })).status).toBe(404);
    expect((await api(`/api/v1/tasks/${crypto.randomUUID()}/status`, { token: a.access_token })).status).toBe(404);
    expect((await api(`/api/v1/tasks/not-a-uuid/status`, { token: a.access_token })).status).toBe(422);
    expect((await api("/api/v1/tasks/research", { method: "POST", json: { topic: "rest days" } })).status).toBe(401);
    expect((await json(await api("/api/v1/tasks", { token: a.access_token }))).total).toBe(0);
  });
});

describe("POST /api/v1/tasks/analyze", { timeout: 90_000 }, () => {
  it("analyses the given conversations; another creator sees nothing of the task", async () => {
    const s = await createCreator();
    const asked = await json(await api("/api/v1/ai/conversations", { method: "POST", token: s.access_token, json: { message: "Can I get a refund for the marathon plan?" } }));
    const started = await json(await api("/api/v1/tasks/analyze", { method: "POST", token: s.access_token, json: { conversation_ids: [asked.conversation_id], question: "What do people ask about refunds?" } }));
    const done = await waitForState(s.access_token, started.task_id, "completed");
    expect(done.progress).toBe(100);
    const { report } = await json(await api(`/api/v1/tasks/${started.task_id}/results`, { token: s.access_token }));
    expect(report.statistics).toMatchObject({ conversations: 1, conversations_by_channel: { api: 1 } });
    expect(report.statistics.messages).toBeGreaterThanOrEqual(2);
    expect(report.findings[0]).toMatchObject({ conversation_id: asked.conversation_id, sender: "user" });
    expect(report.findings[0].text).toMatch(/refund/);
    expect(report.method).toMatch(/extractive/);

    const other = await createCreator();
    expect((await api(`/api/v1/tasks/${started.task_id}/results`, { token: other.access_token })).status).toBe(404);
    expect((await api("/api/v1/tasks/analyze", { method: "POST", token: other.access_token, json: { conversation_ids: [asked.conversation_id], question: "refunds?" } })).status).toBe(404);
  });

  it("takes a period instead of ids, never both", async () => {
    const s = await createCreator();
    await api("/api/v1/ai/conversations", { method: "POST", token: s.access_token, json: { message: "How many rest days should I take?" } });
    const bad = [
      { question: "rest days?" },
      { question: "rest days?", period: "last_7_days", conversation_ids: [crypto.randomUUID()] },
      { question: "rest days?", period: "yesterday" },
      { question: "rest days?", period: { from: "2026-01-01T00:00:00Z" } },
    ];
    for (const body of bad) expect((await api("/api/v1/tasks/analyze", { method: "POST", token: s.access_token, json: body })).status, JSON.stringify(body)).toBe(422);
    const started = await json(await api("/api/v1/tasks/analyze", { method: "POST", token: s.access_token, json: { period: "last_24_hours", question: "How many rest days?" } }));
    await waitForState(s.access_token, started.task_id, "completed");
    const { report } = await json(await api(`/api/v1/tasks/${started.task_id}/results`, { token: s.access_token }));
    expect(report.statistics.conversations).toBe(1);
  });
});

describe("task lifecycle", { timeout: 90_000 }, () => {
  it("cancels a task: it stays cancelled and has no results; a finished one can't be cancelled", async () => {
    const s = await createCreator();
    const started = await json(await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "anything at all" } }));
    const cancelled = await api(`/api/v1/tasks/${started.task_id}/cancel`, { method: "POST", token: s.access_token });
    expect(cancelled.status).toBe(200);
    expect((await json(cancelled)).state).toBe("cancelled");
    const results = await api(`/api/v1/tasks/${started.task_id}/results`, { token: s.access_token });
    expect(results.status).toBe(409);
    expect((await json(await api(`/api/v1/tasks/${started.task_id}/status`, { token: s.access_token }))).state).toBe("cancelled");

    const second = await json(await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "anything else" } }));
    await waitForState(s.access_token, second.task_id, "completed");
    expect((await api(`/api/v1/tasks/${second.task_id}/cancel`, { method: "POST", token: s.access_token })).status).toBe(409);
  });

  it("counts against the tier's task quota", async () => {
    const s = await createCreator();
    await api(`/api/v1/operator/creators/${s.creator.id}/plan`, { method: "PUT", headers: OPERATOR, body: JSON.stringify({ tier: "free", overrides: { tasks: { day: 1 } } }) });
    expect((await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "first topic" } })).status).toBe(202);
    const refused = await api("/api/v1/tasks/research", { method: "POST", token: s.access_token, json: { topic: "second topic" } });
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).message).toMatch(/tasks/);
  });
});
