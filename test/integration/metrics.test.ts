import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { recordWebhookDelivery } from "../../src/modules/metrics";
import { api, createCreator } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { eventually } from "../channel-helpers";

const OPERATOR = { Authorization: `Bearer ${env.OPERATOR_API_KEY}` };

async function scrape(): Promise<string> {
  const res = await api("/metrics", { headers: OPERATOR });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("GET /metrics", { timeout: 60_000 }, () => {
  it("is the operator's alone", async () => {
    const s = await createCreator();
    expect((await api("/metrics")).status).toBe(403);
    expect((await api("/metrics", { token: s.access_token })).status).toBe(403);
    expect((await api("/metrics", { headers: { Authorization: "Bearer wrong" } })).status).toBe(403);
  });

  it("counts requests by route template and status, with latency histograms", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await api("/health")).status).toBe(200);
    expect((await api(`/api/v1/knowledge-bases/${kb.id}`, { token: s.access_token })).status).toBe(200);
    expect((await api(`/api/v1/knowledge-bases/${crypto.randomUUID()}`, { token: s.access_token })).status).toBe(404);
    expect((await api("/no/such/path")).status).toBe(404);
    const after = await scrape();

    const health = 'edgecoach_http_requests_total{method="GET",route="/health",status="200"}';
    expect(value(after, health) - value(before, health)).toBe(3);
    const kbRoute = (status: number) => `edgecoach_http_requests_total{method="GET",route="/api/v1/knowledge-bases/:knowledge_base_id",status="${status}"}`;
    expect(value(after, kbRoute(200)) - value(before, kbRoute(200))).toBe(1);
    expect(value(after, kbRoute(404)) - value(before, kbRoute(404))).toBe(1);
    expect(after).not.toContain(kb.id);
    expect(value(after, 'edgecoach_http_requests_total{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(1);

    expect(after).toContain("# TYPE edgecoach_http_request_duration_seconds histogram");
    const count = value(after, 'edgecoach_http_request_duration_seconds_count{method="GET",route="/health"}');
    expect(value(after, 'edgecoach_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health"}')).toBe(count);
    // buckets are cumulative and in increasing order
    const buckets = after.split("\n").filter((l) => l.startsWith('edgecoach_http_request_duration_seconds_bucket{') && l.includes('route="/health"'));
    const counts = buckets.map((l) => Number(l.split(" ").pop()));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(after).toMatch(/edgecoach_websocket_connections\{role="user"\} \d+/);
  });

  it("counts AI calls by provider, queue messages and webhook deliveries", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    const before = await scrape();
    await uploadAndWait(s.access_token, kb.id, "rest.md", "# Rest days\nTake two rest days a week.");
    expect((await api("/api/v1/ai/documents/search", { method: "POST", token: s.access_token, json: { query: "rest days" } })).status).toBe(200);
    recordWebhookDelivery("delivered");
    const after = await scrape();
    const embed = 'edgecoach_ai_calls_total{operation="embed",provider="local",result="ok"}';
    expect(value(after, embed)).toBeGreaterThan(value(before, embed));
    const ingested = 'edgecoach_queue_messages_total{result="ack",type="knowledge.ingest"}';
    expect(value(after, ingested) - value(before, ingested)).toBeGreaterThanOrEqual(1);
    expect(after).toContain("# TYPE edgecoach_queue_message_age_seconds histogram");
    const hooks = 'edgecoach_webhook_deliveries_total{result="delivered"}';
    expect(value(after, hooks) - value(before, hooks)).toBe(1);
  });

  it("every request's counts reach the store on their own, without waiting for a later request or a scrape (an evicted isolate loses nothing)", async () => {
    const series = 'edgecoach_http_requests_total{method="GET",route="/health",status="200"}';
    const store = env.METRICS.get(env.METRICS.idFromName("global"));
    const stored = async () => (await store.all()).find((r) => r.key === series)?.value ?? 0;
    await scrape(); // everything earlier is in the store now
    const before = await stored();
    const N = 25;
    for (let i = 0; i < N; i++) expect((await api("/health")).status).toBe(200);
    // Nothing else happens in this isolate: only the requests' own waitUntil flushes can deliver them.
    await eventually(async () => (await stored()) - before === N, `${N} requests in the store`, 10_000);
    expect((await stored()) - before).toBe(N);
  });

  it("the store sums each batch into its series in one statement, skipping values that aren't finite numbers", async () => {
    const store = env.METRICS.get(env.METRICS.idFromName(`store-test-${crypto.randomUUID()}`));
    await store.add({ 'a{route="/x"}': 1, b: 2.5, c: Number.POSITIVE_INFINITY, d: Number.NaN });
    await store.add({ 'a{route="/x"}': 2, b: 0.5, e: -1 });
    const rows = Object.fromEntries((await store.all()).map((r) => [r.key, r.value]));
    expect(rows).toEqual({ 'a{route="/x"}': 3, b: 3, e: -1 });
  });
});
