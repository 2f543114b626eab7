// End to end over a real `wrangler dev`: two tabs of one visitor and an agent, with real WebSockets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type DevServer } from "../support/wrangler-dev";
import { WsClient } from "../support/ws-client";

let server: DevServer;
const wsUrl = (path: string, token: string) => `${server.url.replace(/^http/, "ws")}${path}?token=${encodeURIComponent(token)}`;

async function call(path: string, init: { method?: string; json?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.json ? "POST" : "GET"),
    headers: {
      ...(init.json !== undefined && { "Content-Type": "application/json" }),
      ...(init.token && { Authorization: `Bearer ${init.token}` }),
      ...init.headers,
    },
    ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A member with the agent role: invited, the token read from the logged mail (MAIL_PROVIDER=log), accepted. */
async function inviteAgent(ownerToken: string, fullName: string): Promise<string> {
  const email = `agent-${Date.now()}@example.com`;
  const invited = await call("/api/v1/team/members", { token: ownerToken, json: { email, full_name: fullName, role: "agent" } });
  expect(invited.status).toBe(201);
  let token: string | undefined;
  for (let i = 0; i < 40 && !token; i++) {
    const line = server.output().split("\n").find((l) => l.includes(email) && l.includes("Invitation token"));
    token = line ? /Invitation token: ([A-Za-z0-9_-]+)/.exec(line)?.[1] : undefined;
    if (!token) await new Promise((r) => setTimeout(r, 250));
  }
  if (!token) throw new Error("invitation mail not found in the wrangler dev log");
  const accepted = await call("/api/v1/auth/invitations/accept", { json: { token, password: "Correct-Horse-Battery-9" } });
  expect(accepted.status).toBe(200);
  expect(accepted.body.creator.member.role).toBe("agent");
  return accepted.body.access_token as string;
}

beforeAll(async () => {
  server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false" }, logLevel: "log" });
});
afterAll(async () => {
  await server?.stop();
});

describe("realtime over wrangler dev", () => {
  it("two tabs of one visitor and an agent: stream, handover, agent reply, release, resume without gaps, D1 mirror", async () => {
    const email = `e2e-${Date.now()}@example.com`;
    const owner = await call("/api/v1/auth/register", { json: { email, password: "Correct-Horse-Battery-9", full_name: "E2E Owner" } });
    expect(owner.status).toBe(201);
    const ownerToken = owner.body.access_token as string;
    const config = await call("/api/v1/creators/widget/config", { token: ownerToken });
    const session = await call("/api/v1/channels/sessions", { json: { widget_key: config.body.widget_key }, headers: { Origin: "https://site.example" } });
    expect(session.status).toBe(201);
    const { token, websocket_url, conversation_id } = session.body;

    const tab1 = await WsClient.open(wsUrl(websocket_url, token));
    const tab2 = await WsClient.open(wsUrl(websocket_url, token));
    await tab1.next("connection_established");
    await tab2.next("connection_established");

    expect(await tab1.say("t1-1", "Hello, what can you do?")).toBe(1);
    await tab2.next((f) => f.type === "message" && f.clientId === "t1-1");
    for (const tab of [tab1, tab2]) {
      const reply = await tab.next((f) => f.type === "message" && f.sender === "ai");
      const streamed = tab.frames.filter((f) => f.type === "ai_delta" && f.messageId === reply.id).map((f) => f.delta).join("");
      expect(streamed).toBe(reply.text);
      expect(Array.isArray(reply.sources)).toBe(true);
    }

    // Typing from one tab reaches the other tab, not itself.
    tab1.send({ type: "typing", isTyping: true });
    await tab2.next((f) => f.type === "typing_start" && f.sender === "user");

    tab2.send({ type: "handover_request" });
    await tab1.next("handover_initiated");
    await tab2.next("handover_initiated");

    const agentToken = await inviteAgent(ownerToken, "Jane Agent");
    const waiting = await call("/api/v1/conversations?status=waiting_human", { token: agentToken });
    expect(waiting.body.conversations.map((c: { id: string }) => c.id)).toContain(conversation_id);
    const agent = await WsClient.open(wsUrl(`/api/v1/conversations/${conversation_id}/connect`, agentToken));
    expect(await agent.next("connection_established")).toMatchObject({ role: "agent", handover: "waiting" });
    for (const c of [tab1, tab2, agent]) expect(await c.next("agent_joined")).toMatchObject({ agent: { name: "Jane Agent" } });

    // Tab 2 drops off; meanwhile the agent answers; tab 2 comes back and resumes from its last seq.
    const lastSeen = Math.max(...tab2.frames.filter((f) => f.type === "message").map((f) => f.seq as number));
    tab2.close();
    const agentSeq = await agent.say("ag-1", "Hi, a human here. How can I help?");
    await tab1.next((f) => f.type === "message" && f.sender === "agent" && f.senderName === "Jane Agent");
    const tab2b = await WsClient.open(wsUrl(websocket_url, token));
    await tab2b.next("connection_established");
    tab2b.send({ type: "resume", afterSeq: lastSeen });
    const resumed = await tab2b.next("resumed");
    const replayed = tab2b.frames.filter((f) => f.type === "message").map((f) => f.seq as number);
    expect(replayed).toEqual(Array.from({ length: resumed.seq - lastSeen }, (_, i) => lastSeen + 1 + i));
    expect(replayed).toContain(agentSeq);

    agent.send({ type: "release" });
    for (const c of [tab1, tab2b]) expect(await c.next("agent_left")).toMatchObject({ reason: "released" });
    expect(await tab1.say("t1-2", "Back to the assistant")).toBeGreaterThan(agentSeq);
    await tab2b.next((f) => f.type === "message" && f.sender === "ai" && f.seq > agentSeq);

    // The D1 mirror (through the outbox) has every message once, in order.
    let mirrored: { seq: number }[] = [];
    for (let i = 0; i < 40; i++) {
      mirrored = (await call(`/api/v1/conversations/${conversation_id}/messages?limit=200`, { token: ownerToken })).body.messages;
      const last = Math.max(...tab1.frames.filter((f) => f.type === "message").map((f) => f.seq as number));
      if (mirrored.length === last) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(mirrored.map((m) => m.seq)).toEqual(mirrored.map((_, i) => i + 1));
    const conv = await call(`/api/v1/conversations/${conversation_id}`, { token: ownerToken });
    expect(conv.body).toMatchObject({ status: "active", assigned_member_id: null });
    for (const c of [tab1, tab2b, agent]) c.close();
  });
});
