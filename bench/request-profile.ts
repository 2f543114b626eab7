// Where one REST request's CPU goes in the Worker's isolate: N requests of a scenario (10 in flight)
// against EdgeCoach under `wrangler dev`, with a V8 CPU profile of the isolate (bench/lib/v8-profile.ts).
// The figure to compare with `npm run bench:cpu` (which reads the whole workerd process from /proc).
// Run: npx tsx bench/request-profile.ts [me|login|health] [requests]   (PROFILE_VARS='K=V,K=V')
import { startWranglerDev } from "../test/support/wrangler-dev";
import { profiled, summarize } from "./lib/v8-profile";

const scenario = process.argv[2] ?? "me";
const requests = Number(process.argv[3] ?? (scenario === "login" ? 200 : 2000));
const IN_FLIGHT = 10;
const vars = Object.fromEntries((process.env.PROFILE_VARS ?? "").split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));

const server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false", ...vars } });
try {
  const email = `profile-${Date.now()}@example.com`;
  const password = "Correct-Horse-Battery-9";
  const registered = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, full_name: "Profile" }),
  });
  if (!registered.ok) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const { access_token: token } = (await registered.json()) as { access_token: string };
  const one: Record<string, () => Promise<Response>> = {
    me: () => fetch(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } }),
    login: () => fetch(`${server.url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) }),
    health: () => fetch(`${server.url}/health`),
  };
  const request = one[scenario];
  if (!request) throw new Error(`unknown scenario ${scenario}: ${Object.keys(one).join(", ")}`);
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < n) {
          const res = await request();
          if (!res.ok) throw new Error(`${scenario}: ${res.status}`);
          await res.arrayBuffer();
        }
      }),
    );
  };
  await run(Math.min(200, requests)); // warm-up: compiled code, caches, D1's pages
  const { profile, file, title } = await profiled(server.inspectorPort, `request-${scenario}`, () => run(requests));
  console.log(`${requests} × ${scenario}; target: ${title}`);
  console.log(summarize(profile, requests, "req").text);
  console.log(`\nraw profile: ${file}`);
} finally {
  await server.stop();
}
