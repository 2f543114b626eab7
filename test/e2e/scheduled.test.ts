// End to end against a real `wrangler dev --test-scheduled`: a creator sets up a program and a
// proactive rule over REST, /__scheduled fires the cron tick, the real local queue delivers, and
// the messages show up in the user's conversation. (Until the widget lands on this branch the
// check reads the conversation over the REST API and D1 instead of a widget socket.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Execute, startWranglerDev, type DevServer } from "../support/wrangler-dev";

let dev: DevServer;
beforeAll(async () => {
  // No quiet hours (start = end): the test runs at any hour of the day.
  dev = await startWranglerDev({ args: ["--test-scheduled"], vars: { RATE_LIMITS_ENABLED: "false", PROACTIVE_QUIET_HOURS: "00:00-00:00" } });
});
afterAll(async () => {
  await dev?.stop();
});

async function call(path: string, init: { method?: string; token?: string; json?: unknown } = {}) {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.method ?? "GET",
    headers: { ...(init.json !== undefined ? { "Content-Type": "application/json" } : {}), ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

describe("cron tick under wrangler dev", () => {
  it("fires /__scheduled: the program's first message and a proactive message arrive in the user's conversation", async () => {
    const reg = await call("/api/v1/auth/register", { method: "POST", json: { email: `e2e-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E" } });
    expect(reg.status).toBe(201);
    const token = reg.body.access_token as string;
    const creatorId = reg.body.creator.id as string;
    const userId = crypto.randomUUID();
    // End users come from widget sessions and channel contacts; here straight into local D1.
    d1Execute(dev.persistDir, `INSERT INTO end_users (id, creator_id, channel, external_id, display_name, timezone) VALUES ('${userId}', '${creatorId}', 'widget', 'visitor-1', 'Eve', 'Europe/Berlin')`);

    const program = await call("/api/v1/programs", {
      method: "POST",
      token,
      json: {
        name: "Welcome",
        flow_definition: {
          nodes: [{ id: "start", type: "start", data: {} }, { id: "hi", type: "send_message", data: { message: "Welcome aboard, {user_name}!" } }, { id: "end", type: "end", data: {} }],
          edges: [{ id: "e1", source: "start", target: "hi" }, { id: "e2", source: "hi", target: "end" }],
        },
      },
    });
    expect(program.status).toBe(201);
    expect((await call(`/api/v1/programs/${program.body.id}/publish`, { method: "POST", token })).status).toBe(200);
    expect((await call(`/api/v1/users/${userId}/programs/${program.body.id}/enroll`, { method: "POST", token })).status).toBe(201);
    const rule = await call("/api/v1/proactive-engine/rules", {
      method: "POST",
      token,
      json: { name: "Every minute", trigger_conditions: { type: "scheduled", cron: "* * * * *" }, actions: [{ type: "send_message", message_template: "Checking in, {user_name}." }] },
    });
    expect(rule.status).toBe(201);

    const fired = await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    expect(fired.status).toBe(200);

    // The queue consumer runs in the background: wait (bounded) until both messages are stored.
    let texts: string[] = [];
    for (let i = 0; i < 60 && texts.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      texts = d1Execute(dev.persistDir, `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = '${userId}' ORDER BY m.seq`).map((r) => String(r.text));
    }
    expect(texts.sort()).toEqual(["Checking in, Eve.", "Welcome aboard, Eve!"]);

    const user = await call(`/api/v1/users/${userId}`, { token });
    expect(user.body.recent_interactions).toHaveLength(2);
    expect(user.body.recent_interactions.every((i: any) => i.interaction_type === "message_received")).toBe(true);
    expect(user.body.program_enrollments[0]).toMatchObject({ status: "completed", progress: 1 });
    const rules = await call("/api/v1/proactive-engine/rules", { token });
    expect(rules.body.rules[0].triggered_count).toBe(1);

    // A second tick in the same minute is the same occurrence: nothing new.
    await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    await new Promise((r) => setTimeout(r, 2500));
    const after = d1Execute(dev.persistDir, `SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = '${userId}'`);
    expect(Number(after[0]!.n)).toBeLessThanOrEqual(3); // a new minute may have begun: at most one more occurrence
  });
});
