// Accounts over real HTTP against `wrangler dev`: Google sign-in through the local OpenID provider,
// an API key used and revoked, a free-tier creator reaching the AI limit, a research task (Workflows),
// /metrics counting this test's requests, and the CLI uploading a file and chatting.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type OidcProvider } from "../support/oidc-provider";
import { freePort, ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

const OPERATOR_KEY = "e2e-operator-key-0123456789abcdef";
let server: DevServer;
let oidc: OidcProvider;
let configDir: string;

beforeAll(async () => {
  oidc = await startOidcProvider();
  const port = await freePort();
  server = await startWranglerDev({
    port,
    logLevel: "log",
    vars: {
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      OPERATOR_API_KEY: OPERATOR_KEY,
      GOOGLE_CLIENT_ID: "edgecoach-e2e",
      GOOGLE_CLIENT_SECRET: "edgecoach-e2e-secret",
      GOOGLE_OIDC_DISCOVERY_URL: oidc.discoveryUrl,
      // Only the per-minute client limits are switched off (many calls from one address); plans stay on.
      RATE_LIMITS_ENABLED: "false",
      PLAN_LIMITS_ENABLED: "true",
    },
  });
  configDir = mkdtempSync(join(tmpdir(), "edgecoach-cli-e2e-"));
});

afterAll(async () => {
  await server?.stop();
  await oidc?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function call(method: string, path: string, opts: { json?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers["Content-Type"] = "application/json";
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${server.url}${path}`, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), redirect: "manual" });
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

async function register() {
  const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call("POST", "/api/v1/auth/register", { json: { email, password: "Correct-Horse-Battery-9", full_name: "E2E Creator" } });
  expect(res.status).toBe(201);
  return { email, password: "Correct-Horse-Battery-9", token: res.body.access_token as string, id: res.body.creator.id as string };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "src/cli/main.ts"), ...args], {
      env: { ...process.env, EDGECOACH_CONFIG_DIR: configDir, EDGECOACH_URL: server.url, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function googleSignIn(email: string) {
  const start = await fetch(`${server.url}/api/v1/auth/google/login?login_hint=${encodeURIComponent(email)}`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const cookie = start.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const atProvider = await fetch(start.headers.get("Location")!, { redirect: "manual" });
  const callback = await fetch(atProvider.headers.get("Location")!, { redirect: "manual", headers: { Cookie: cookie } });
  if (callback.status !== 302) return { status: callback.status };
  const page = await fetch(new URL(callback.headers.get("Location")!, server.url));
  const next = /url=([^"]+)"/.exec(await page.text())![1]!.replace(/&#38;/g, "&");
  const validated = await fetch(new URL(next, server.url), { headers: { Accept: "application/json" } });
  expect(validated.headers.getSetCookie().join()).toMatch(/ec_refresh=/);
  return { status: validated.status, body: (await validated.json()) as any };
}

describe("accounts end to end", () => {
  it("Google sign-in: a new account, then linking to a password account, then an unverified email refused", async () => {
    const fresh = `google-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const created = await googleSignIn(fresh);
    expect(created.status).toBe(200);
    expect((await call("GET", "/api/v1/auth/me", { token: created.body.access_token })).body.email).toBe(fresh);

    const existing = await register();
    const linked = await googleSignIn(existing.email);
    expect(linked.body.creator.id).toBe(existing.id);

    expect((await googleSignIn(`unverified-${crypto.randomUUID().slice(0, 8)}@example.com`)).status).toBe(403);
  });

  it("an API key is used (also by the CLI) and, once revoked, refused", async () => {
    const owner = await register();
    const key = (await call("POST", "/api/v1/api-keys", { token: owner.token, json: { name: "ci", scopes: ["read", "write", "knowledge"] } })).body;
    expect((await call("GET", "/api/v1/knowledge-bases", { headers: { "X-API-Key": key.key } })).status).toBe(200);
    const stats = await cli(["session-stats", "--json", "--api-key", key.key]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout).subscription_tier).toBe("free");
    expect((await call("DELETE", `/api/v1/api-keys/${key.id}`, { token: owner.token })).status).toBe(204);
    expect((await call("GET", "/api/v1/knowledge-bases", { headers: { "X-API-Key": key.key } })).status).toBe(401);
    const refused = await cli(["session-stats", "--json", "--api-key", key.key]);
    expect(refused.code).toBe(3);
  });

  it("a free-tier creator reaching the AI limit gets the 429 and the notification mail", async () => {
    const owner = await register();
    const plan = await call("PUT", `/api/v1/operator/creators/${owner.id}/plan`, { headers: { Authorization: `Bearer ${OPERATOR_KEY}` }, json: { tier: "free", overrides: { ai_messages: { day: 2 } } } });
    expect(plan.status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await call("POST", "/api/v1/ai/conversations", { token: owner.token, json: { message: "How many rest days?" } })).status).toBe(200);
    const refused = await call("POST", "/api/v1/ai/conversations", { token: owner.token, json: { message: "And now?" } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/ai_messages/);
    await expect.poll(() => server.output(), { timeout: 10_000 }).toMatch(new RegExp(`used all 2 .*ai_messages`));
    expect(server.output()).toContain(owner.email);
  });

  it("the CLI logs in, uploads a file with progress, chats with sources and runs a research task", async () => {
    const owner = await register();
    const login = await cli(["login", "--email", owner.email, "--password", owner.password, "--json"]);
    expect(login.code, login.stderr).toBe(0);
    const credentials = JSON.parse(login.stdout).credentials as string;
    expect(statSync(credentials).mode & 0o777).toBe(0o600);

    const kb = await cli(["kb", "create", "Coaching", "--json"]);
    expect(kb.code, kb.stderr).toBe(0);
    const kbId = JSON.parse(kb.stdout).id as string;
    const file = join(configDir, "rest.md");
    writeFileSync(file, "# Rest days\nTake two rest days every week so your muscles can recover.\n");
    const uploaded = await cli(["kb", "upload", kbId, file, "--json"]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(JSON.parse(uploaded.stdout).documents[0].status).toBe("completed");
    const listed = await cli(["kb", "list"]);
    expect(listed.stdout).toContain("Coaching");

    const oneShot = await cli(["chat", "How many rest days should I take?", "--kb", kbId, "--json"]);
    expect(oneShot.code, oneShot.stderr).toBe(0);
    const answer = JSON.parse(oneShot.stdout);
    expect(answer.response).toMatch(/two rest days/i);
    expect(answer.sources.length).toBeGreaterThan(0);
    const streamed = await cli(["chat", "How many rest days should I take?", "--kb", kbId]);
    expect(streamed.stdout).toMatch(/two rest days/i);
    expect(streamed.stdout).toMatch(/Sources: \[1\] rest/);

    const task = await cli(["tasks", "run", "research", "rest days", "--kb", kbId, "--wait", "--json"]);
    expect(task.code, task.stderr).toBe(0);
    const report = JSON.parse(task.stdout).report;
    expect(report.title).toBe("Research: rest days");
    expect(report.method).toMatch(/^extractive/);
    expect(report.sections[0].key_points.join(" ")).toMatch(/two rest days/);

    // The finished task told its starter in the app too (the Workflow's step after "save"): the CLI lists it.
    let inApp: { kind: string; body: string }[] = [];
    for (let attempt = 0; attempt < 40 && !inApp.some((n) => n.kind === "task_completed"); attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 250));
      const notifications = await cli(["notifications", "--json"]);
      expect(notifications.code, notifications.stderr).toBe(0);
      inApp = JSON.parse(notifications.stdout).notifications;
    }
    expect(inApp.find((n) => n.kind === "task_completed")?.body).toBe("Research: rest days");
  });

  it("/metrics counts the requests this test made", async () => {
    const scrape = async () => (await call("GET", "/metrics", { headers: { Authorization: `Bearer ${OPERATOR_KEY}` } })).body as string;
    const series = 'edgecoach_http_requests_total{method="GET",route="/health",status="200"}';
    const value = (text: string) => Number(text.split("\n").find((l) => l.startsWith(`${series} `))?.split(" ").pop() ?? 0);
    const before = value(await scrape());
    for (let i = 0; i < 5; i++) expect((await call("GET", "/health")).status).toBe(200);
    expect(value(await scrape()) - before).toBe(5);
    expect((await call("GET", "/metrics")).status).toBe(403);
  });
});
