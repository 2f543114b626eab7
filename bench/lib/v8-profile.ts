// A V8 CPU profile of the Worker's isolate under `wrangler dev`, taken over the Chrome DevTools protocol
// on wrangler's inspector port, and its self time summed by source file and by function per unit of
// work (a message, a request). Used by bench/realtime-profile.ts and bench/request-profile.ts.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
export interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export async function cdp(port: number) {
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

/** Profiles `work` (the isolate only), writes the raw profile to the temp directory and returns its summary. */
export async function profiled(inspectorPort: number, name: string, work: () => Promise<void>) {
  const inspector = await cdp(inspectorPort);
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.call("Profiler.start");
  await work();
  const { profile } = (await inspector.call("Profiler.stop")) as { profile: Profile };
  inspector.close();
  const file = join(tmpdir(), `edgecoach-${name}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return { profile, file, title: inspector.title };
}

/** Self time by file and by function, in ms per unit of work; idle time is reported apart, never as busy. */
export function summarize(profile: Profile, units: number, unit: string): { text: string } {
  const dt = new Map<number, number>();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const ms = dt.get(n.id) ?? 0;
    total += ms;
    if (n.callFrame.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    const file = n.callFrame.url.replace(/^.*\/(src|durable-objects|workers|node_modules)\//, "$1/") || `(${n.callFrame.functionName || "native"})`;
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
  }
  const busy = total - idle;
  const top = (m: Map<string, number>, k: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([key, v]) => `${(v / units).toFixed(4).padStart(8)} ms/${unit} ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${key}`).join("\n");
  const text = [
    `isolate busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms sampled (idle ${idle.toFixed(0)} ms) = ${(busy / units).toFixed(3)} ms CPU per ${unit}`,
    "\nself time by file\n" + top(byFile, 25),
    "\nself time by function\n" + top(byFn, 40),
  ].join("\n");
  return { text };
}
