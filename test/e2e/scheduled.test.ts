// End to end against a real `wrangler dev --test-scheduled`: a creator sets up a program and a
// proactive rule over REST, /__scheduled fires the cron tick, the real local queue delivers, and
// the messages arrive live on the visitor's open widget socket (through the conversation's Durable
// Object) and in the D1 mirror of the conversation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Execute, startWranglerDev, type DevServer } from "../support/wrangler-dev";
import { WsClient } from "../support/ws-client";

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
    // A widget visitor: the session makes the end user and the conversation; the widget socket stays open.
    const config = await call("/api/v1/creators/widget/config", { token });
    const session = await call("/api/v1/channels/sessions", { method: "POST", json: { widget_key: config.body.widget_key } });
    expect(session.status).toBe(201);
    const tab = await WsClient.open(`${dev.url.replace(/^http/, "ws")}${session.body.websocket_url}?token=${encodeURIComponent(session.body.token)}`);
    await tab.next("connection_established");
    const conversationId = session.body.conversation_id as string;
    const userId = String(d1Execute(dev.persistDir, `SELECT end_user_id FROM conversations WHERE id = '${conversationId}'`)[0]!.end_user_id);
    d1Execute(dev.persistDir, `UPDATE end_users SET display_name = 'Eve', timezone = 'Europe/Berlin' WHERE id = '${userId}'`);

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

    // The queue consumer runs in the background: both messages arrive live on the widget socket.
    const live = [await tab.next("message", { timeoutMs: 30_000 }), await tab.next("message", { timeoutMs: 30_000 })];
    expect(live.map((f) => f.text).sort()).toEqual(["Checking in, Eve.", "Welcome aboard, Eve!"]);
    expect(live.map((f) => f.seq).sort()).toEqual([1, 2]);
    // …and in the D1 mirror, once each (the object's outbox writes it a moment later).
    let texts: string[] = [];
    for (let i = 0; i < 60 && texts.length < 2; i++) {
      texts = d1Execute(dev.persistDir, `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.end_user_id = '${userId}' ORDER BY m.seq`).map((r) => String(r.text));
      if (texts.length < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(texts.sort()).toEqual(["Checking in, Eve.", "Welcome aboard, Eve!"]);
    tab.close();

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
