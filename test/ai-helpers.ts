// Requests through the Worker with other AI settings than the test environment's (AI_PROVIDER=openai
// against the stand-ins): app.fetch with the env plus `vars`, and a fresh client address per request.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { app } from "../src/app";

type Vars = Record<string, string>;
let ip = 0;

export async function call(path: string, init: { method?: string; token?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> }, vars: Vars = {}, extra: Record<string, unknown> = {}) {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", `198.51.${(ip >> 8) % 250}.${(ip++ % 250) + 1}`);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost${path}`, { method: init.method ?? (init.json !== undefined || init.body ? "POST" : "GET"), headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body }), { ...env, ...vars, ...extra }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

