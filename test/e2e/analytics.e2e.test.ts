// End to end over a real `wrangler dev`: a widget conversation delivers signed webhooks to a local
// receiver (verified with `standardwebhooks`), the agent's inbox socket sees the handover, and the
// overview counts exactly what the test created.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";
import { startWranglerDev, type DevServer } from "../support/wrangler-dev";
import { WsClient } from "../support/ws-client";

type Json = Record<string, any>;
let server: DevServer;
let receiver: WebhookReceiver;
const wsUrl = (path: string, token: string) => `${server.url.replace(/^http/, "ws")}${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;

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
  return { status: res.status, body: (await res.json()) as Json };
}

async function eventually<T>(probe: () => Promise<T | false | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A member with the agent role: invited, the token read from the logged mail (MAIL_PROVIDER=log), accepted. */
async function inviteAgent(ownerToken: string): Promise<string> {
  const email = `agent-${Date.now()}@example.com`;
  const invited = await call("/api/v1/team/members", { token: ownerToken, json: { email, full_name: "Inbox Agent", role: "agent" } });
  expect(invited.status).toBe(201);
  const token = await eventually(async () => {
    const line = server.output().split("\n").find((l) => l.includes(email) && l.includes("Invitation token"));
    return line ? /Invitation token: ([A-Za-z0-9_-]+)/.exec(line)?.[1] : undefined;
  }, "invitation mail in the wrangler dev log");
  const accepted = await call("/api/v1/auth/invitations/accept", { json: { token, password: "Correct-Horse-Battery-9" } });
  expect(accepted.status).toBe(200);
  return accepted.body.access_token as string;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // Every e2e client comes from one address (no CF-Connecting-IP): rate limits off, as the other e2e files do.
  server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false", WEBHOOKS_ALLOW_PRIVATE_URLS: "true" }, logLevel: "log" });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

describe("analytics, webhooks and the inbox over wrangler dev", () => {
  it("a widget conversation: signed deliveries, the handover in the agent's inbox, exact overview counts", async () => {
    const owner = await call("/api/v1/auth/register", { json: { email: `e2e-an-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E Owner" } });
    expect(owner.status).toBe(201);
    const ownerToken = owner.body.access_token as string;
    const creatorId = owner.body.creator.id as string;

    const hook = await call("/api/v1/webhooks", { token: ownerToken, json: { url: `${receiver.url}/e2e`, events: ["user.created", "message.received", "escalation.created"] } });
    expect(hook.status).toBe(201);
    const agentToken = await inviteAgent(ownerToken);
    const inbox = await WsClient.open(wsUrl("/api/v1/inbox/connect", agentToken));
    await inbox.next("connection_established");

    const config = await call("/api/v1/creators/widget/config", { token: ownerToken });
    const session = await call("/api/v1/channels/sessions", { json: { widget_key: config.body.widget_key }, headers: { Origin: "https://site.example" } });
    expect(session.status).toBe(201);
    const { token, websocket_url, conversation_id } = session.body;
    const tab = await WsClient.open(wsUrl(websocket_url, token));
    await tab.next("connection_established");
    await tab.say("q1", "How do I start running?");
    await tab.next((f) => f.type === "message" && f.sender === "ai");
    tab.send({ type: "handover_request" });
    await tab.next("handover_initiated");

    // The agent's inbox sees the handover as it happens.
    const waiting = await inbox.next((f) => f.type === "event" && f.event === "conversation.status_changed" && f.data.status === "waiting_human", { what: "handover", timeoutMs: 30_000 });
    expect(waiting.data).toMatchObject({ conversation_id, previous_status: "active" });
    const note = await inbox.next((f) => f.type === "event" && f.event === "notification", { what: "notification", timeoutMs: 30_000 });
    expect(note.data).toMatchObject({ kind: "handover", data: { conversation_id } });

    // Three deliveries, each verified by the standardwebhooks library with the secret shown at creation.
    const got = await eventually(async () => receiver.received("e2e").length >= 3 && receiver.received("e2e"), "three deliveries");
    const verifier = new Webhook(hook.body.secret as string);
    const payloads = got.map((r) => verifier.verify(r.body, r.headers) as Json);
    expect(payloads.map((p) => p.event).sort()).toEqual(["escalation.created", "message.received", "user.created"]);
    for (const p of payloads) expect(p.creator_id).toBe(creatorId);
    expect(payloads.find((p) => p.event === "message.received")!.data).toMatchObject({ conversation_id, text: "How do I start running?", sender: "user" });
    expect(payloads.find((p) => p.event === "escalation.created")!.data).toMatchObject({ conversation_id, status: "waiting_human" });
    expect(() => verifier.verify(got[0]!.body.replace(creatorId, "someone-else"), got[0]!.headers)).toThrow();

    // The overview counts exactly this: one user, one conversation, one question, one AI answer, one handover.
    const overview = await eventually(async () => {
      const r = await call("/api/v1/analytics/overview?period=7d", { token: ownerToken });
      return r.status === 200 && r.body.summary.human_escalations === 1 && r.body.summary.total_interactions === 2 && r.body;
    }, "rollups of the conversation");
    expect(overview.summary).toMatchObject({
      total_users: 1,
      new_users: 1,
      active_users: 1,
      total_conversations: 1,
      total_interactions: 2,
      ai_interactions: 1,
      human_escalations: 1,
    });
    // Another creator sees none of it.
    const other = await call("/api/v1/auth/register", { json: { email: `e2e-an-other-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Other" } });
    const theirs = await call("/api/v1/analytics/overview?period=7d", { token: other.body.access_token });
    expect(theirs.body.summary).toMatchObject({ total_users: 0, total_conversations: 0, total_interactions: 0 });
    inbox.close();
    tab.close();
  });
});
