// What flushing the metrics per request costs (issue 15: "metrics lose nothing"). Two `wrangler dev`
// servers side by side, in the same rounds: METRICS_FLUSH=request (each request's deltas sent to the
// MetricsStore in its own waitUntil: nothing lost on eviction) and METRICS_FLUSH=interval (the old
// batching, at most one RPC per 2 s). Load: GET /health, one request at a time (the worst case for
// per-request flushing: no batching) and CONCURRENCY at a time (concurrent requests share one RPC).
// Reports latency (p50/p99, ms) and workerd CPU ms per request, and the ratios request ÷ interval.
// Also checks that the store counted every request of the "request" server.
//   node bench/metrics-flush.ts     (Node 22; env: REQUESTS, CONCURRENCY, ROUNDS)
import { performance } from "node:perf_hooks";
import { groupCpu } from "./cpu.mjs";
import { startWranglerDev, type DevServer } from "../test/support/wrangler-dev.ts";
import { machine, pct, ratio, writeResult, type Ratio } from "./lib/report.ts";

const MACHINE = machine();
const REQUESTS = Number(process.env.REQUESTS ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const OPERATOR = "bench-operator-key";

type Mode = "request" | "interval";
interface Figures { p50_ms: number; p99_ms: number; cpu_ms_per_request: number | null; requests: number }

const workerCpu = (s: DevServer) => groupCpu(s.process.pid!)["workerd (Worker, D1, R2, DO)"] ?? null;

async function load(server: DevServer, concurrency: number): Promise<{ samples: number[]; cpu: number | null }> {
  const samples: number[] = [];
  const cpu0 = workerCpu(server);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < REQUESTS) {
        const t = performance.now();
        const res = await fetch(`${server.url}/health`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`/health ${res.status}`);
        samples.push(performance.now() - t);
      }
    }),
  );
  const cpu1 = workerCpu(server);
  return { samples, cpu: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1000) / REQUESTS };
}

async function healthCount(server: DevServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${OPERATOR}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith('edgecoach_http_requests_total{method="GET",route="/health",status="200"} '));
  return line ? Number(line.split(" ").pop()) : 0;
}

const servers: Record<Mode, DevServer> = {} as Record<Mode, DevServer>;
try {
  for (const mode of ["request", "interval"] as const) {
    servers[mode] = await startWranglerDev({ vars: { METRICS_FLUSH: mode, RATE_LIMITS_ENABLED: "false", OPERATOR_API_KEY: OPERATOR } });
  }
  const results: Record<string, Record<Mode, { samples: number[]; cpu: number[] }>> = {};
  for (const [name, c] of [["sequential", 1], [`concurrency_${CONCURRENCY}`, CONCURRENCY]] as const) {
    results[name] = { request: { samples: [], cpu: [] }, interval: { samples: [], cpu: [] } };
    for (const mode of ["request", "interval"] as const) await load(servers[mode], c); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order each round so neither server always runs on the warmer machine.
      const order: Mode[] = round % 2 ? ["interval", "request"] : ["request", "interval"];
      for (const mode of order) {
        const r = await load(servers[mode], c);
        results[name]![mode].samples.push(...r.samples);
        if (r.cpu !== null) results[name]![mode].cpu.push(r.cpu);
      }
    }
  }
  // Every request of the per-request server reached the store (2 loads × (1 warm-up + ROUNDS) × REQUESTS), before any scrape flushed them.
  await new Promise((r) => setTimeout(r, 500));
  const expected = 2 * (1 + ROUNDS) * REQUESTS;
  const counted = await healthCount(servers.request);

  const systems: Record<string, Record<string, Figures>> = {};
  const ratios: Ratio[] = [];
  for (const [name, byMode] of Object.entries(results)) {
    for (const mode of ["request", "interval"] as const) {
      const { samples, cpu } = byMode[mode];
      const cpuMean = cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : null;
      (systems[`edgecoach-flush-${mode}`] ??= {})[name] = { p50_ms: pct(samples, 50), p99_ms: pct(samples, 99), cpu_ms_per_request: cpuMean, requests: samples.length };
    }
    const a = systems["edgecoach-flush-request"]![name]!;
    const b = systems["edgecoach-flush-interval"]![name]!;
    ratios.push({ name: `${name} p50 request ÷ interval`, value: ratio(a.p50_ms, b.p50_ms) });
    ratios.push({ name: `${name} CPU per request request ÷ interval`, value: ratio(a.cpu_ms_per_request, b.cpu_ms_per_request) });
  }
  const file = writeResult("metrics-flush", {
    params: { requests: REQUESTS, concurrency: CONCURRENCY, rounds: ROUNDS, counted_in_store: counted, expected_in_store: expected },
    machine: { ...MACHINE, load_average_after: (await import("node:os")).loadavg() },
    systems,
    ratios,
  } as never);
  console.log(JSON.stringify({ systems, ratios, counted, expected }, null, 2));
  console.log(`written ${file}`);
} finally {
  for (const s of Object.values(servers)) await s.stop();
}
