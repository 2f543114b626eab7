// Where one widget message's CPU goes: the closed-loop load of bench/realtime.ts (N conversations in
// handover, M messages each) against EdgeCoach under `wrangler dev`, with a V8 CPU profile of the
// Worker's isolate (conversation objects, MirrorWriter, RateLimiter and the Worker all run there)
// taken over the Chrome DevTools protocol on wrangler's inspector port. Prints self time by source
// file and by function, and writes the raw profile to the temp directory (open it in Chrome DevTools).
// Run: npx tsx bench/realtime-profile.ts  (PROFILE_CONVERSATIONS, PROFILE_MESSAGES, PROFILE_VARS='K=V,K=V')
import { startWranglerDev } from "../test/support/wrangler-dev";
import { groupCpu } from "./cpu.mjs";
import { profiled, summarize } from "./lib/v8-profile";

const CONVERSATIONS = Number(process.env.PROFILE_CONVERSATIONS ?? 100);
const MESSAGES = Number(process.env.PROFILE_MESSAGES ?? 20);
const vars = Object.fromEntries((process.env.PROFILE_VARS ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));

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

  const messages = CONVERSATIONS * MESSAGES;
  let seconds = 0;
  let cpu0: Record<string, number> = {};
  let cpu1: Record<string, number> = {};
  const { profile, file, title } = await profiled(server.inspectorPort, "realtime", async () => {
    cpu0 = groupCpu(server.process.pid!);
    const t0 = performance.now();
    await Promise.all(sockets.map(async (c) => {
      for (let i = 0; i < MESSAGES; i++) await send(c, `${c.key}-m${i}`);
    }));
    seconds = (performance.now() - t0) / 1000;
    // The mirror's flushes of the last messages belong to their cost too.
    await new Promise((r) => setTimeout(r, 1500));
    cpu1 = groupCpu(server.process.pid!);
  });
  const summary = summarize(profile, messages, "msg");
  console.log(`${messages} messages in ${seconds.toFixed(2)} s (${Math.round(messages / seconds)} msg/s); target: ${title}`);
  for (const [role, s1] of Object.entries(cpu1)) console.log(`process CPU ${role}: ${((1000 * (s1 - (cpu0[role] ?? 0))) / messages).toFixed(3)} ms per message`);
  console.log(summary.text);
  console.log(`\nraw profile: ${file}`);
} finally {
  await server.stop();
}
