// Where one widget message's CPU goes: the closed-loop load of bench/realtime.ts (N conversations in
// handover, M messages each) against EdgeCoach under `wrangler dev`, with a V8 CPU profile of the
// Worker's isolate (conversation objects, MirrorWriter, RateLimiter and the Worker all run there)
// taken over the Chrome DevTools protocol on wrangler's inspector port. Prints self time by source
// file and by function, and writes the raw profile to the temp directory (open it in Chrome DevTools).
// Run: npx tsx bench/realtime-profile.ts  (PROFILE_CONVERSATIONS, PROFILE_MESSAGES, PROFILE_VARS='K=V,K=V')
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWranglerDev } from "../test/support/wrangler-dev";
import { groupCpu } from "./cpu.mjs";

const CONVERSATIONS = Number(process.env.PROFILE_CONVERSATIONS ?? 100);
const MESSAGES = Number(process.env.PROFILE_MESSAGES ?? 20);
const vars = Object.fromEntries((process.env.PROFILE_VARS ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

async function cdp(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
  const target = targets.find((t) => !/proxy|internal/i.test(t.title)) ?? targets[0]!;
  // The inspector proxy accepts local DevTools origins only.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as unknown as string[]);
  await new Promise((r, j) => (ws.addEventListener("open", r), ws.addEventListener("error", j)));
  let id = 0;
  const waiting = new Map<number, (v: any) => void>();
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve) => {
      const n = ++id;
      waiting.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { call, close: () => ws.close(), title: target.title };
}

const server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false", ...vars } });
try {
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const owner = await post("/api/v1/auth/register", { email: `profile-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Profile" });
  const cfg = (await (await fetch(`${server.url}/api/v1/creators/widget/config`, { headers: { Authorization: `Bearer ${owner.access_token}` } })).json()) as { widget_key: string };
  const sockets: { ws: WebSocket; acks: Map<string, () => void>; key: string }[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const s = await post("/api/v1/channels/sessions", { widget_key: cfg.widget_key });
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}${s.websocket_url}?token=${encodeURIComponent(s.token)}`);
    const acks = new Map<string, () => void>();
    await new Promise<void>((resolve) =>
      ws.addEventListener("message", (e) => {
        const f = JSON.parse(String(e.data)) as { type: string; id?: string };
        if (f.type === "connection_established") resolve();
        if (f.type === "ack") acks.get(f.id!)?.();
      }),
    );
    ws.send(JSON.stringify({ type: "handover_request" }));
    sockets.push({ ws, acks, key: s.conversation_id });
  }
  const send = (c: (typeof sockets)[number], id: string) =>
    new Promise<void>((resolve) => {
      c.acks.set(id, resolve);
      c.ws.send(JSON.stringify({ type: "message", id, text: `message ${id} of a profiled conversation` }));
    });
  for (const c of sockets) await send(c, `${c.key}-warm`);
  await new Promise((r) => setTimeout(r, 1000));

  const inspector = await cdp(server.inspectorPort);
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.call("Profiler.start");
  const cpu0 = groupCpu(server.process.pid!);
  const t0 = performance.now();
  await Promise.all(sockets.map(async (c) => {
    for (let i = 0; i < MESSAGES; i++) await send(c, `${c.key}-m${i}`);
  }));
  const seconds = (performance.now() - t0) / 1000;
  // The mirror's flushes of the last messages belong to their cost too.
  await new Promise((r) => setTimeout(r, 1500));
  const cpu1 = groupCpu(server.process.pid!);
  const { profile } = (await inspector.call("Profiler.stop")) as { profile: Profile };
  inspector.close();
  const out = join(tmpdir(), `edgecoach-realtime-${Date.now()}.cpuprofile`);
  writeFileSync(out, JSON.stringify(profile));

  const messages = CONVERSATIONS * MESSAGES;
  const dt = new Map<number, number>();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const ms = dt.get(n.id) ?? 0;
    total += ms;
    const file = n.callFrame.url.replace(/^.*\/(src|durable-objects|workers|node_modules)\//, "$1/") || `(${n.callFrame.functionName || "native"})`;
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
  }
  const idle = byFile.get("(idle)") ?? 0;
  const busy = total - idle;
  console.log(`${messages} messages in ${seconds.toFixed(2)} s (${Math.round(messages / seconds)} msg/s); isolate busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms = ${(busy / messages).toFixed(3)} ms CPU per message (target: ${inspector.title})`);
  const top = (m: Map<string, number>, n: number) =>
    [...m].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(v / messages).toFixed(4).padStart(8)} ms/msg ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  for (const [role, s1] of Object.entries(cpu1)) console.log(`process CPU ${role}: ${((1000 * (s1 - (cpu0[role] ?? 0))) / messages).toFixed(3)} ms per message`);
  console.log("\nself time by file\n" + top(byFile, 25));
  console.log("\nself time by function\n" + top(byFn, 40));
  console.log(`\nraw profile: ${out}`);
} finally {
  await server.stop();
}
