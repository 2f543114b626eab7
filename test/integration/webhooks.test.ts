// Outgoing webhooks: endpoint management, Standard Webhooks signatures verified with the
// `standardwebhooks` library, retries with backoff, the delivery log, replay, automatic disabling,
// the per-endpoint concurrency cap, the SSRF guard, bad input and tenancy.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl } from "../../src/modules/webhooks/url-guard";
import { eventually } from "../channel-helpers";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";

type Json = Record<string, any>;
const RECEIVER = env.WEBHOOK_RECEIVER_URL;

async function received(key: string): Promise<{ headers: Record<string, string>; body: string }[]> {
  return (await (await fetch(`${RECEIVER}/__receiver/requests?key=${key}`)).json()) as { headers: Record<string, string>; body: string }[];
}

async function script(key: string, statuses: number[], delayMs = 0) {
  await fetch(`${RECEIVER}/__receiver/script`, { method: "POST", body: JSON.stringify({ key, statuses, delayMs }) });
}

async function createEndpoint(token: string, events: string[], extra: Json = {}) {
  const key = `k-${crypto.randomUUID()}`;
  const res = await api("/api/v1/webhooks", { method: "POST", token, json: { url: `${RECEIVER}/${key}`, events, description: "CRM sync", ...extra } });
  expect(res.status).toBe(201);
  return { key, endpoint: (await res.json()) as Json };
}

/** Polling reads D1 (the API has a per-client rate limit); assertions then read the API once. */
async function settled(endpointId: string, n: number, status = "succeeded"): Promise<boolean> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND status = ?").bind(endpointId, status).first<{ n: number }>();
  return r!.n >= n;
}

async function deliveries(token: string, id: string): Promise<Json[]> {
  const res = await api(`/api/v1/webhooks/${id}/deliveries`, { token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Json[] }).deliveries;
}

describe("webhook endpoints", () => {
  it("create shows the secret once; read, change, rotate and delete", async () => {
    const { access_token: token } = await createCreator();
    const { endpoint } = await createEndpoint(token, ["user.created", "message.received"]);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(endpoint).toMatchObject({ events: ["user.created", "message.received"], description: "CRM sync", enabled: true, disabled_reason: null });

    const list = (await (await api("/api/v1/webhooks", { token })).json()) as { webhooks: Json[] };
    expect(list.webhooks).toHaveLength(1);
    expect(list.webhooks[0]).not.toHaveProperty("secret");
    const one = (await (await api(`/api/v1/webhooks/${endpoint.id}`, { token })).json()) as Json;
    expect(one).not.toHaveProperty("secret");
    // The secret is sealed at rest.
    const stored = await env.DB.prepare("SELECT secret FROM webhook_endpoints WHERE id = ?").bind(endpoint.id).first<{ secret: string }>();
    expect(stored!.secret).not.toContain(endpoint.secret.slice(6));

    const put = await api(`/api/v1/webhooks/${endpoint.id}`, { method: "PUT", token, json: { events: ["rating.received"], enabled: false } });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ events: ["rating.received"], enabled: false, description: "CRM sync" });

    const rotated = await api(`/api/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", token });
    expect(rotated.status).toBe(200);
    const { secret } = (await rotated.json()) as Json;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);

    expect((await api(`/api/v1/webhooks/${endpoint.id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await api(`/api/v1/webhooks/${endpoint.id}`, { token })).status).toBe(404);
  });

  it("refuses bad input (422), agents (403) and other creators' endpoints (404)", async () => {
    const owner = await createCreator();
    const token = owner.access_token;
    const bad: Json[] = [
      {},
      { url: `${RECEIVER}/x`, events: [] },
      { url: `${RECEIVER}/x`, events: ["user.deleted"] },
      { url: "not a url", events: ["user.created"] },
      { url: "ftp://example.com/hook", events: ["user.created"] },
      { url: "https://user:pw@example.com/hook", events: ["user.created"] },
      { url: `${RECEIVER}/x`, events: ["user.created"], secret: "mine" },
      { url: `${RECEIVER}/x`, events: ["user.created"], description: "x".repeat(501) },
    ];
    for (const json of bad) {
      const res = await api("/api/v1/webhooks", { method: "POST", token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    expect((await (await api("/api/v1/webhooks", { token })).json()) as Json).toEqual({ webhooks: [] });
    const { endpoint } = await createEndpoint(token, ["user.created"]);
    expect((await api(`/api/v1/webhooks/${endpoint.id}`, { method: "PUT", token, json: {} })).status).toBe(422);
    expect((await api(`/api/v1/webhooks/${endpoint.id}`, { method: "PUT", token, json: { url: "gopher://x" } })).status).toBe(422);
    expect((await api("/api/v1/webhooks/not-a-uuid", { token })).status).toBe(422);

    const other = await createCreator();
    for (const [method, path] of [
      ["GET", `/api/v1/webhooks/${endpoint.id}`],
      ["DELETE", `/api/v1/webhooks/${endpoint.id}`],
      ["POST", `/api/v1/webhooks/${endpoint.id}/rotate-secret`],
      ["GET", `/api/v1/webhooks/${endpoint.id}/deliveries`],
      ["POST", `/api/v1/webhooks/${endpoint.id}/deliveries/${crypto.randomUUID()}/replay`],
    ] as const) {
      expect((await api(path, { method, token: other.access_token })).status, `${method} ${path}`).toBe(404);
    }
    expect((await api(`/api/v1/webhooks/${endpoint.id}`, { method: "PUT", token: other.access_token, json: { enabled: false } })).status).toBe(404);
    expect((await api("/api/v1/webhooks")).status).toBe(401);
    const agent = await inviteAndAccept(token, "agent");
    expect((await api("/api/v1/webhooks", { token: agent.access_token })).status).toBe(403);
    expect((await api("/api/v1/webhooks", { method: "POST", token: agent.access_token, json: { url: `${RECEIVER}/x`, events: ["user.created"] } })).status).toBe(403);
  });
});

describe("webhook deliveries", () => {
  it("a widget visitor's session, question and handover arrive signed per Standard Webhooks", { timeout: 30_000 }, async () => {
    const creator = await createCreator();
    const token = creator.access_token;
    const { key, endpoint } = await createEndpoint(token, ["user.created", "message.received", "escalation.created"]);
    const session = await openSession(await widgetKeyOf(token));
    const tab = await connect(session.websocket_url, session.token);
    await tab.say("q1", "I want to talk to a human please");
    await tab.next("handover_initiated");

    const got = await eventually(async () => {
      const r = await received(key);
      return r.length >= 3 && r;
    }, "three deliveries");
    const verifier = new Webhook(endpoint.secret);
    const payloads = got.map((r) => verifier.verify(r.body, r.headers) as Json);
    expect(payloads.map((p) => p.event).sort()).toEqual(["escalation.created", "message.received", "user.created"]);
    for (const p of payloads) {
      expect(p.creator_id).toBe(creator.creator.id);
      expect(Date.parse(p.timestamp)).not.toBeNaN();
    }
    expect(payloads.find((p) => p.event === "message.received")!.data).toMatchObject({
      conversation_id: session.conversation_id,
      text: "I want to talk to a human please",
      sender: "user",
    });
    expect(payloads.find((p) => p.event === "user.created")!.data).toMatchObject({ channel: "web" });
    expect(payloads.find((p) => p.event === "escalation.created")!.data).toMatchObject({ conversation_id: session.conversation_id, status: "waiting_human", previous_status: "active" });
    // A tampered body does not verify.
    expect(() => verifier.verify(got[0]!.body.replace("creator_id", "creator_xd"), got[0]!.headers)).toThrow();

    await eventually(() => settled(endpoint.id, 3), "deliveries logged");
    const log = await deliveries(token, endpoint.id);
    expect(log).toHaveLength(3);
    for (const d of log) {
      expect(d).toMatchObject({ attempts: 1, response_code: 200, error: null });
      expect(d.latency_ms).toBeGreaterThanOrEqual(0);
      expect(d.attempt_log).toHaveLength(1);
    }
    tab.close();
  });

  it("retries a failed delivery with backoff, logs every attempt, and replays on request with the same webhook-id", async () => {
    const { access_token: token } = await createCreator();
    const { key, endpoint } = await createEndpoint(token, ["user.created"]);
    await script(key, [500]);
    await openSession(await widgetKeyOf(token));
    await eventually(() => settled(endpoint.id, 1, "retrying"), "first attempt failed");
    const [first] = await deliveries(token, endpoint.id);
    expect(first).toMatchObject({ status: "retrying", attempts: 1, response_code: 500, error: "HTTP 500" });
    // The first retry waits 5 s.
    expect(Date.parse(first!.next_attempt_at) - Date.parse(first!.updated_at)).toBeGreaterThanOrEqual(4000);
    await eventually(() => settled(endpoint.id, 1), "retried delivery", 30_000);
    const [done] = (await deliveries(token, endpoint.id)) as [Json];
    expect(done.attempt_log.map((a: Json) => [a.status, a.response_code])).toEqual([
      ["failed", 500],
      ["succeeded", 200],
    ]);

    const replay = await api(`/api/v1/webhooks/${endpoint.id}/deliveries/${done.id}/replay`, { method: "POST", token });
    expect(replay.status).toBe(202);
    const got = await eventually(async () => {
      const r = await received(key);
      return r.length >= 3 && r;
    }, "replayed delivery");
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect((await api(`/api/v1/webhooks/${endpoint.id}/deliveries/${crypto.randomUUID()}/replay`, { method: "POST", token })).status).toBe(404);
  }, 60_000);

  it("disables an endpoint that has failed for a day", { timeout: 30_000 }, async () => {
    const { access_token: token } = await createCreator();
    const { key, endpoint } = await createEndpoint(token, ["user.created"]);
    await script(key, [503]);
    await env.DB.prepare("UPDATE webhook_endpoints SET failing_since = ? WHERE id = ?").bind(new Date(Date.now() - 25 * 3600_000).toISOString(), endpoint.id).run();
    await openSession(await widgetKeyOf(token));
    await eventually(() => settled(endpoint.id, 1, "failed"), "delivery failed");
    const disabled = (await (await api(`/api/v1/webhooks/${endpoint.id}`, { token })).json()) as Json;
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabled_reason).toMatch(/Failing for more than 24 hours/);
    // The creator is told.
    const notes = (await (await api("/api/v1/notifications", { token })).json()) as { notifications: Json[] };
    expect(notes.notifications[0]).toMatchObject({ kind: "webhook_disabled", data: { webhook_id: endpoint.id } });
    const [d] = await deliveries(token, endpoint.id);
    expect(d).toMatchObject({ status: "failed", response_code: 503 });
    // Replaying to a disabled endpoint is refused until it is enabled again.
    expect((await api(`/api/v1/webhooks/${endpoint.id}/deliveries/${d!.id}/replay`, { method: "POST", token })).status).toBe(409);
    const enabled = await api(`/api/v1/webhooks/${endpoint.id}`, { method: "PUT", token, json: { enabled: true } });
    expect(await enabled.json()).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });

  it("never runs more than 3 deliveries of one endpoint at once", async () => {
    const { access_token: token } = await createCreator();
    const { key, endpoint } = await createEndpoint(token, ["user.created"]);
    await script(key, [200, 200, 200, 200, 200, 200], 1500);
    const widgetKey = await widgetKeyOf(token);
    await Promise.all(Array.from({ length: 6 }, () => openSession(widgetKey)));
    await eventually(() => settled(endpoint.id, 6), "six deliveries", 40_000);
    const stats = (await (await fetch(`${RECEIVER}/__receiver/stats?key=${key}`)).json()) as { max_in_flight: number };
    expect(stats.max_in_flight).toBeGreaterThan(0);
    expect(stats.max_in_flight).toBeLessThanOrEqual(3);
  }, 60_000);
});

describe("SSRF guard (production policy)", () => {
  const policy = (addresses: Record<string, string[]>) => ({
    allowPrivate: false,
    resolve: async (host: string) => addresses[host] ?? [],
  });

  it("refuses http, private, loopback and link-local targets, and names that resolve to them", async () => {
    const p = policy({ "internal.example.com": ["10.1.2.3"], "mixed.example.com": ["93.184.216.34", "127.0.0.1"], "v6.example.com": ["fe80::1"] });
    for (const url of [
      "http://example.com/hook",
      "https://127.0.0.1/hook",
      "https://10.0.0.1/hook",
      "https://172.16.5.4/hook",
      "https://192.168.1.1/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/hook",
      "https://0.0.0.0/hook",
      "https://[::1]/hook",
      "https://[fd00::1]/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "https://localhost/hook",
      "https://db.internal/hook",
      "https://printer.local/hook",
      "https://internal.example.com/hook",
      "https://mixed.example.com/hook",
      "https://v6.example.com/hook",
      "https://nowhere.example.com/hook",
    ]) {
      await expect(checkWebhookUrl(url, p), url).rejects.toMatchObject({ status: 422, details: [{ field: "url" }] });
    }
  });

  it("accepts https to public addresses", async () => {
    const p = policy({ "hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] });
    expect((await checkWebhookUrl("https://hooks.example.com/in?x=1", p)).hostname).toBe("hooks.example.com");
    expect((await checkWebhookUrl("https://8.8.8.8/hook", p)).hostname).toBe("8.8.8.8");
  });
});
