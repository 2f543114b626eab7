// Property-based fuzzing: adversarial inputs derived from /openapi.json's own schemas, sent to every
// documented route and every WebSocket client frame type. No 5xx, every error in the standard format,
// and a rejected request changes no row of either creator.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRoute, z } from "@hono/zod-openapi";
import { app, buildApp } from "../../src/app";
import { AppError } from "../../src/lib/errors";
import { createRouter } from "../../src/lib/router";
import { errorResponses, jsonBody, jsonContent } from "../../src/lib/schemas";
import { requireAuth } from "../../src/middleware/auth";
import { ownedTables } from "../../src/db/ownership";
import "../../src/db/owned-tables";
import { api, createCreator } from "../helpers";
import { createKb } from "../knowledge-helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";

const SEED = 20261201;
const HTTP_RUNS = 1100;
const FRAME_RUNS = 300;
/** Inputs for the planted-fault check (three planted routes). */
const PLANTED_RUNS = 150;
// Limits off so the handlers themselves meet the inputs (a 429 would only test the limiter).
// Metrics flushed in 2-s batches: each request here waits for its waitUntil work, and the per-request
// flush's 50 ms batching window would only slow the run (metrics aren't what this test checks).
const VARS = { RATE_LIMITS_ENABLED: "false", PLAN_LIMITS_ENABLED: "false", METRICS_FLUSH: "interval" };

type Schema = { type?: string | string[]; $ref?: string; enum?: unknown[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; format?: string; minLength?: number; maxLength?: number; minimum?: number; maximum?: number; minItems?: number; maxItems?: number; const?: unknown };
type Param = { name: string; in: string; required?: boolean; schema?: Schema };
type Operation = { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> } };
interface Route { method: string; path: string; op: Operation }

const EVIL_STRINGS = [
  "' OR 1=1; DROP TABLE creators;--",
  "1; SELECT * FROM members --",
  '"><script>alert(1)</script>',
  "<img src=x onerror=alert(1)>",
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "\u0000\u0001\u001f",
  "𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧‍👦 ‮",
  "ﷺ".repeat(5000),
  "a".repeat(100_000),
  "__proto__",
  "constructor",
  "NaN",
  "-1",
  "1e400",
  "",
  " ",
];
const evilString = fc.oneof(fc.constantFrom(...EVIL_STRINGS), fc.string({ unit: "grapheme", maxLength: 60 }), fc.string({ unit: "binary", maxLength: 30 }));
const evilValue: fc.Arbitrary<unknown> = fc.oneof(
  evilString,
  fc.constantFrom(null, true, false, 0, -1, 2 ** 53, -(2 ** 63), 1e308, 0.5, [], {}, [null], { __proto__: { admin: true } }, { $ne: null }),
  fc.integer(),
  fc.array(evilString, { maxLength: 3 }),
);

function resolve(doc: any, s: Schema | undefined): Schema {
  let out = s ?? {};
  for (let i = 0; out.$ref && i < 10; i++) out = out.$ref.split("/").slice(1).reduce((o: any, k) => o?.[k], doc) ?? {};
  return out;
}

/** A value that fits the schema (roughly: it's a starting point that mutations then break). */
function fromSchema(doc: any, raw: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, raw);
  if (depth > 4) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => fromSchema(doc, a, depth + 1)));
  if (s.allOf?.length) return fromSchema(doc, s.allOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type ?? (s.properties ? "object" : undefined);
  switch (type) {
    case "string":
      if (s.format === "uuid") return fc.uuid();
      if (s.format === "email") return fc.emailAddress();
      if (s.format === "uri" || s.format === "url") return fc.webUrl();
      if (s.format === "date-time") return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString());
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.max(s.minLength ?? 0, Math.min(s.maxLength ?? 30, 30)) });
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(fromSchema(doc, s.items, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    case "object": {
      const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(doc, v, depth + 1)]));
      return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    default:
      return evilValue;
  }
}

/** Breaks a schema-shaped body: one field evil, a required field missing, an extra field, or no object at all. */
function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<{ kind: string; body: unknown }> {
  return fc.oneof(
    base.map((body) => ({ kind: "schema", body })),
    fc.tuple(base, fc.nat(), evilValue).map(([body, i, v]) => {
      if (!body || typeof body !== "object" || Array.isArray(body)) return { kind: "evil", body: v };
      const keys = Object.keys(body);
      return keys.length ? { kind: "evil-field", body: { ...body, [keys[i % keys.length]!]: v } } : { kind: "evil", body: v };
    }),
    fc.tuple(base, fc.nat()).map(([body, i]) => {
      if (!body || typeof body !== "object" || Array.isArray(body)) return { kind: "schema", body };
      const keys = Object.keys(body);
      const copy: Record<string, unknown> = { ...body };
      if (keys.length) delete copy[keys[i % keys.length]!];
      return { kind: "missing-field", body: copy };
    }),
    fc.tuple(base, evilString, evilValue).map(([body, k, v]) => ({ kind: "extra-field", body: body && typeof body === "object" && !Array.isArray(body) ? { ...body, [k || "x"]: v } : { [k || "x"]: v } })),
    evilValue.map((body) => ({ kind: "wrong-type", body })),
    fc.constantFrom("{", "{\"a\":", "[1,2", "null", "\"x\"", "{\"a\":1}garbage", "\u0000").map((text) => ({ kind: "broken-json", body: { __raw: text } })),
  );
}

type Target = { fetch: (req: Request, env: any, ctx: ExecutionContext) => Response | Promise<Response> };

async function send(method: string, path: string, init: { token?: string; body?: unknown; query?: string; target?: Target }) {
  const headers = new Headers({ "CF-Connecting-IP": `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}` });
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  let body: string | undefined;
  if (init.body !== undefined && method !== "GET" && method !== "HEAD") {
    headers.set("Content-Type", "application/json");
    const raw = (init.body as { __raw?: string } | null)?.__raw;
    body = typeof raw === "string" ? raw : JSON.stringify(init.body);
  }
  const ctx = createExecutionContext();
  const res = await (init.target ?? app).fetch(new Request(`http://localhost${path}${init.query ?? ""}`, { method, headers, body }), { ...env, ...VARS }, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text, type: res.headers.get("Content-Type") ?? "" };
}

function standardError(text: string): string | null {
  try {
    const e = JSON.parse(text)?.error;
    if (!e || typeof e.code !== "string" || typeof e.message !== "string" || !Array.isArray(e.details) || typeof e.request_id !== "string" || typeof e.timestamp !== "string") return "not the standard error shape";
    return null;
  } catch {
    return "not JSON";
  }
}

/**
 * Columns that background work writes on its own schedule, whatever request comes in: a background
 * task accepted earlier in the run advances through its Workflow steps. They are left out of the
 * comparison; every other column (and every row's existence) must stay as it was.
 */
const BACKGROUND_COLUMNS: Record<string, string[]> = {
  tasks: ["state", "step", "progress", "result", "error", "updated_at", "completed_at"],
};

/** Routes whose feature needs a provider the test environment (AI_PROVIDER=local) lacks: a 503 naming the setting is their answer. */
const BY_DESIGN_503 = ["/api/v1/run/audio", "/api/core/messages/audio"];

/**
 * Rows an earlier accepted request adds after its response: the plan's 80 %/100 % notices of a metered
 * AI call (waitUntil) and the task_completed notice of a task whose Workflow finishes on its own. Left
 * out of the comparison like BACKGROUND_COLUMNS.
 */
const BACKGROUND_ROWS: Record<string, (row: Record<string, unknown>) => boolean> = {
  notifications: (row) => row.kind === "quota_near" || row.kind === "quota_reached" || row.kind === "task_completed",
};

/** Every row of both creators in every registered table: a rejected request must leave it unchanged. */
async function snapshot(creatorIds: string[]): Promise<string> {
  const tables = ownedTables();
  const statements = tables.flatMap((t) => creatorIds.map((id) => env.DB.prepare(`SELECT * FROM ${t.table} WHERE ${t.column} = ? ORDER BY rowid`).bind(id)));
  const results = await env.DB.batch(statements);
  return JSON.stringify(
    results.map((r, i) => {
      const table = tables[Math.floor(i / creatorIds.length)]!.table;
      const skip = BACKGROUND_COLUMNS[table] ?? [];
      const background = BACKGROUND_ROWS[table];
      const rows = (r.results as Record<string, unknown>[]).filter((row) => !background?.(row)).map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !skip.includes(k))));
      return [table, rows];
    }),
  );
}

async function fixtures() {
  const [a, b] = await Promise.all([createCreator(), createCreator()]);
  const ids = async (s: typeof a) => {
    const kb = await createKb(s.access_token);
    const session = await openSession(await widgetKeyOf(s.access_token));
    const program = await api("/api/v1/programs", { method: "POST", token: s.access_token, json: { name: "Fuzz", flow_definition: { nodes: [], edges: [] } } });
    const programId = program.status === 201 ? ((await program.json()) as { id: string }).id : crypto.randomUUID();
    return [s.creator.id, s.creator.member.id, kb.id as string, session.conversation_id, programId];
  };
  return { a, b, aIds: await ids(a), bIds: await ids(b) };
}

interface FuzzRun {
  failures: string[];
  tried: number;
  rejectedWrites: number;
  routes: number;
  statuses: Record<string, number>;
}

/**
 * The property: `runs` inputs (seeded) over the routes of `target`'s /openapi.json that `only` keeps;
 * no 5xx, every error in the standard format, no row of either creator changed by a rejected request.
 */
async function fuzz(target: Target, opts: { runs: number; seed: number; only?: (r: Route) => boolean }): Promise<FuzzRun> {
  const { runs, seed } = opts;
  const doc = JSON.parse((await send("GET", "/openapi.json", { target })).text);
  const routes: Route[] = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
    .flatMap(([path, ops]) =>
      Object.entries(ops).filter(([m]) => ["get", "post", "put", "patch", "delete"].includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path, op })),
    )
    .filter(opts.only ?? (() => true));
  let f = await fixtures();

  const requestArb = (route: Route) => {
    const pathParams = (route.op.parameters ?? []).filter((p) => p.in === "path");
    const queryParams = (route.op.parameters ?? []).filter((p) => p.in === "query");
    const json = route.op.requestBody?.content?.["application/json"]?.schema;
    const idValue = fc.oneof(fc.constantFrom(...f.bIds), fc.constantFrom(...f.aIds), fc.uuid(), evilString.filter((s) => s.length > 0 && s.length < 2000));
    return fc.record({
      params: fc.tuple(...pathParams.map(() => idValue), fc.constant(null)),
      query: fc.array(fc.tuple(fc.constantFrom(...queryParams.map((q) => q.name), "limit", "cursor", "x"), fc.oneof(evilString, fc.integer().map(String))), { maxLength: 3 }),
      body: json ? mutated(fromSchema(doc, json)) : fc.oneof(fc.constant({ kind: "none", body: undefined }), mutated(fc.constant({}))),
      auth: fc.constantFrom("a", "a", "a", "a", "b", "none", "garbage"),
    });
  };
  const plan = fc.sample(fc.nat({ max: routes.length * 1000 }), { seed, numRuns: runs }).map((n, i) => {
    const route = routes[(i < routes.length ? i : n) % routes.length]!;
    return { route, input: fc.sample(requestArb(route), { seed: seed + i, numRuns: 1 })[0]! };
  });

  const failures: string[] = [];
  let tried = 0;
  let rejectedWrites = 0;
  const statuses: Record<string, number> = {};
  for (const { route, input } of plan) {
    const p = [...input.params];
    const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(p.shift() ?? "x")));
    const query = input.query.length ? `?${new URLSearchParams(input.query.map(([k, v]) => [k, v])).toString()}` : "";
    const token = input.auth === "a" ? f.a.access_token : input.auth === "b" ? f.b.access_token : input.auth === "garbage" ? "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." : undefined;
    const writes = route.method !== "GET";
    const before = writes ? await snapshot([f.a.creator.id, f.b.creator.id]) : "";
    const res = await send(route.method, path, { token, body: input.body.body, query, target });
    tried++;
    const bucket = `${route.method} ${Math.floor(res.status / 100)}xx`;
    statuses[bucket] = (statuses[bucket] ?? 0) + 1;
    const label = `${route.method} ${route.path} (${input.body.kind}, auth ${input.auth}) → ${res.status}`;
    // Answering 503 SERVICE_UNAVAILABLE naming the setting is what these routes must do with the local provider (issue 14).
    const unconfigured = res.status === 503 && BY_DESIGN_503.includes(route.path) && res.text.includes('"code":"SERVICE_UNAVAILABLE"') && res.text.includes("AI_PROVIDERS");
    if (res.status >= 500 && !unconfigured) failures.push(`${label}: ${res.text.slice(0, 300)}`);
    else if (res.status >= 400) {
      const bad = res.type.includes("json") ? standardError(res.text) : "not JSON";
      if (bad) failures.push(`${label}: ${bad}: ${res.text.slice(0, 200)}`);
      if (writes) {
        rejectedWrites++;
        const after = await snapshot([f.a.creator.id, f.b.creator.id]);
        if (after !== before) {
          const [b, a] = [JSON.parse(before) as [string, unknown][], JSON.parse(after) as [string, unknown][]];
          const changed = a.filter(([, rows], i) => JSON.stringify(rows) !== JSON.stringify(b[i]?.[1])).map(([t]) => t);
          failures.push(`${label}: a rejected request changed stored rows (${[...new Set(changed)].join(", ")})`);
        }
      }
    } else if (writes) {
      // An accepted request may sign the creator out or erase them: start again with fresh creators.
      const me = await send("GET", "/api/v1/auth/me", { token: f.a.access_token, target });
      const meB = await send("GET", "/api/v1/auth/me", { token: f.b.access_token, target });
      if (me.status !== 200 || meB.status !== 200) f = await fixtures();
    }
  }
  return { failures, tried, rejectedWrites, routes: routes.length, statuses };
}

/**
 * Faults planted on purpose, on an app of their own (the real app plus these routes; never mounted in
 * src/): a crash on one corner of its input, a write made before the input is checked, and an error
 * body that is not the standard format. The fuzzer must report each of them.
 */
function plantedApp() {
  const tags = ["Planted faults (test only)"];
  const crash = createRoute({
    method: "post", path: "/__planted/crash", tags,
    request: { body: jsonBody(z.object({ text: z.string().max(100), count: z.number().int() }).strict()) },
    responses: { 200: jsonContent(z.object({ ok: z.boolean() }), "OK"), ...errorResponses(422) },
  });
  const writeThenCheck = createRoute({
    method: "put", path: "/__planted/company", tags, security: [{ bearerAuth: [] }], middleware: [requireAuth({ permission: "write" })] as const,
    summary: "Writes the company name, then checks it (the fault: a rejected request has changed a row)",
    responses: { 200: jsonContent(z.object({ ok: z.boolean() }), "OK"), ...errorResponses(401, 422) },
  });
  const oddError = createRoute({
    method: "get", path: "/__planted/odd-error/{id}", tags,
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonContent(z.object({ ok: z.boolean() }), "OK"), 400: { description: "a non-standard error" } },
  });
  const planted = createRouter({ rateLimit: "none", meter: "none" })
    .openapi(crash, async (c) => {
      const { text, count } = c.req.valid("json");
      if (count < 0 && text.length > 0) throw new TypeError("planted fault: negative count");
      return c.json({ ok: true }, 200);
    })
    .openapi(writeThenCheck, async (c) => {
      const body = (await c.req.json().catch(() => null)) as { company_name?: unknown } | null;
      await env.DB.prepare("UPDATE creators SET company_name = ? WHERE id = ?").bind(JSON.stringify(body?.company_name ?? null).slice(0, 50), c.get("creatorId")!).run();
      if (typeof body?.company_name !== "string") throw new AppError("VALIDATION_ERROR", "company_name must be a string", [{ field: "company_name", message: "Required" }]);
      return c.json({ ok: true }, 200);
    })
    .openapi(oddError, async (c) => (c.req.valid("param").id.length % 2 ? (c.json({ error: "odd" }, 400) as never) : c.json({ ok: true }, 200)));
  const target = buildApp();
  target.route("/", planted);
  return target;
}

describe("fuzzing (fast-check, fixed seed)", () => {
  it(`survives ${HTTP_RUNS} adversarial requests across every route of /openapi.json`, { timeout: 240_000 }, async () => {
    console.info(`fuzz seed ${SEED}`);
    const run = await fuzz(app, { runs: HTTP_RUNS, seed: SEED });
    expect(run.routes).toBeGreaterThan(50);
    console.info(`fuzz: ${run.tried} requests over ${run.routes} routes, ${run.rejectedWrites} rejected writes checked for no change, seed ${SEED}`, run.statuses);
    expect(run.failures).toEqual([]);
    expect(run.tried).toBeGreaterThanOrEqual(1000);
  });

  it(`finds every planted fault (a 5xx, a change made by a rejected request, a non-standard error) within ${PLANTED_RUNS} inputs`, { timeout: 120_000 }, async () => {
    const run = await fuzz(plantedApp(), { runs: PLANTED_RUNS, seed: SEED, only: (r) => r.path.startsWith("/__planted/") });
    const found = (re: RegExp) => run.failures.filter((f) => re.test(f)).length;
    console.info(
      `fuzz (planted faults): ${run.tried} requests over ${run.routes} routes, seed ${SEED}: ${found(/__planted\/crash .*→ 500/)} crashes, ${found(/changed stored rows/)} changes by rejected requests, ${found(/not the standard error shape/)} non-standard errors`,
    );
    expect(run.routes).toBe(3);
    expect(run.failures.some((f) => /^POST \/__planted\/crash .*→ 500/.test(f))).toBe(true);
    expect(run.failures.some((f) => /^PUT \/__planted\/company .*a rejected request changed stored rows/.test(f))).toBe(true);
    expect(run.failures.some((f) => /^GET \/__planted\/odd-error\/\{id\} .*→ 400: not the standard error shape/.test(f))).toBe(true);
    // The real routes stay clean under the same seed: the failures are the planted ones only.
    expect(run.failures.every((f) => /\/__planted\//.test(f))).toBe(true);
  });

  it(`survives ${FRAME_RUNS} adversarial WebSocket frames of every client frame type`, { timeout: 120_000 }, async () => {
    const s = await createCreator();
    const session = await openSession(await widgetKeyOf(s.access_token));
    const tab = await connect(session.websocket_url, session.token);
    const types = ["message", "typing", "handover_request", "release", "complete", "resume", "ping", "rating"];
    const frameArb = fc.oneof(
      fc.record({ type: fc.constantFrom(...types), id: fc.oneof(evilString, fc.constant("ok-1")), text: evilValue, isTyping: evilValue, reason: evilValue, afterSeq: evilValue, score: evilValue, comment: evilValue }, { requiredKeys: ["type"] }),
      evilValue.map((v) => ({ type: v })),
      fc.constantFrom("{", "null", "[]", "\"message\"", "{\"type\":\"message\",\"text\":", "x".repeat(200_000)),
    );
    const frames = fc.sample(frameArb, { seed: SEED, numRuns: FRAME_RUNS });
    for (const [i, frame] of frames.entries()) {
      tab.send(frame);
      // Every frame gets an answer or none; a ping after it proves the socket still serves.
      if (i % 25 === 24) {
        tab.send({ type: "ping" });
        await tab.next("pong", { timeoutMs: 30_000 });
      }
    }
    tab.send({ type: "ping" });
    await tab.next("pong", { timeoutMs: 30_000 });
    const errors = tab.frames.filter((fr) => fr.type === "error");
    for (const e of errors) expect(typeof e.code === "string" && typeof e.message === "string").toBe(true);
    expect(tab.frames.some((fr) => fr.type === "error" && /internal/i.test(String(fr.code)))).toBe(false);
    console.info(`fuzz: ${frames.length} WebSocket frames, ${errors.length} error frames, seed ${SEED}`);
    tab.close();
  });
});
