// A local receiver of outgoing webhooks for tests and the e2e run: records every delivery (raw body
// and headers, so the test verifies the signature with `standardwebhooks`) per path key, and answers
// from a script (statuses in order, optional delay) or 200.
import { createServer } from "node:http";

export interface ReceivedWebhook {
  key: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received(key?: string): ReceivedWebhook[];
  script(key: string, statuses: number[], delayMs?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, { statuses: number[]; delayMs: number }>();
  // Deliveries in flight per key, and the most seen at once (the per-endpoint concurrency cap).
  const inFlight = new Map<string, { now: number; max: number }>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === "/__receiver/requests") return json(200, received.filter((r) => !url.searchParams.get("key") || r.key === url.searchParams.get("key")));
    if (url.pathname === "/__receiver/stats") return json(200, { max_in_flight: inFlight.get(url.searchParams.get("key") ?? "")?.max ?? 0 });
    if (url.pathname === "/__receiver/script") {
      const { key, statuses, delayMs } = JSON.parse(body) as { key: string; statuses: number[]; delayMs?: number };
      scripts.set(key, { statuses, delayMs: delayMs ?? 0 });
      return json(200, { ok: true });
    }
    const key = url.pathname.replace(/^\/+/, "");
    received.push({ key, headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body, at: Date.now() });
    const flight = inFlight.get(key) ?? { now: 0, max: 0 };
    inFlight.set(key, flight);
    flight.now++;
    flight.max = Math.max(flight.max, flight.now);
    const script = scripts.get(key);
    const status = script?.statuses.shift() ?? 200;
    if (script?.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    flight.now--;
    json(status, { received: true });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    received: (key) => received.filter((r) => !key || r.key === key),
    script: (key, statuses, delayMs = 0) => void scripts.set(key, { statuses: [...statuses], delayMs }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
