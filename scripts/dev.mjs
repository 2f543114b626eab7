// `npm run dev`: local D1 migrations, an idempotent demo creator, then `wrangler dev` (extra args reach wrangler).
import { spawn, spawnSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
// The wrangler shim runs `env node`: keep this Node (the project's Node 22) first for it.
const CHILD_ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
  // Offline by default: no lookup of the Request.cf sample at workers.cloudflare.com (a placeholder is used).
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};

// The demo login printed at start-up. The password passes the strength rules of
// src/modules/auth/passwords.ts, so it also works with password/validate and reset flows.
export const DEMO = {
  creatorId: "00000000-0000-4000-8000-00000000d3e0",
  email: "demo@edgecoach.local",
  password: "Orchard-Lantern-Voyage-42",
  fullName: "Demo Creator",
  companyName: "EdgeCoach Demo",
};

/** Same format as hashPassword() in src/modules/auth/passwords.ts (workerd's PBKDF2 ceiling). */
export function hashPassword(password, iterations = 100_000) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  return `pbkdf2_sha256$${iterations}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** Value of `--name value` or `--name=value` among wrangler's args, or undefined. */
export function argValue(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

const sql = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** Inserts the demo creator and its owner member unless that email already has an account. */
export function seedSql(passwordHash) {
  const d = DEMO;
  const absent = `NOT EXISTS (SELECT 1 FROM members WHERE email = ${sql(d.email)})`;
  // The owner's member id equals the creator id, as register() does (token sub = creator_id).
  return [
    // First result tells whether the demo existed before this run (local --file results carry no change counts).
    `SELECT EXISTS (SELECT 1 FROM members WHERE email = ${sql(d.email)}) AS present;`,
    `INSERT OR IGNORE INTO creators (id, email, full_name, company_name) SELECT ${sql(d.creatorId)}, ${sql(d.email)}, ${sql(d.fullName)}, ${sql(d.companyName)} WHERE ${absent};`,
    `INSERT OR IGNORE INTO members (id, creator_id, email, full_name, role, status, password_hash) SELECT ${sql(d.creatorId)}, ${sql(d.creatorId)}, ${sql(d.email)}, ${sql(d.fullName)}, 'owner', 'active', ${sql(passwordHash)} WHERE ${absent} AND EXISTS (SELECT 1 FROM creators WHERE id = ${sql(d.creatorId)});`,
  ].join("\n");
}

function wrangler(args, what) {
  const res = spawnSync(WRANGLER, args, {
    cwd: ROOT,
    // CI=true: no interactive confirmation prompts from `migrations apply`.
    env: { ...CHILD_ENV, CI: "true" },
    encoding: "utf8",
  });
  if (res.status !== 0) {
    process.stderr.write(`${what} failed:\n${res.stdout ?? ""}\n${res.stderr ?? ""}\n`);
    process.exit(res.status ?? 1);
  }
  return res.stdout;
}

/** Migrations + seed into the same local state `wrangler dev` will use. Returns true when the demo was created now. */
export function prepareLocalDatabase(persistTo) {
  const persist = persistTo ? ["--persist-to", persistTo] : [];
  wrangler(["d1", "migrations", "apply", "DB", "--local", ...persist], "Applying local D1 migrations");
  const dir = mkdtempSync(join(tmpdir(), "edgecoach-seed-"));
  try {
    const file = join(dir, "seed.sql");
    writeFileSync(file, seedSql(hashPassword(DEMO.password)));
    const out = wrangler(["d1", "execute", "DB", "--local", ...persist, "--file", file, "--json"], "Seeding the demo creator");
    return JSON.parse(out)[0]?.results?.[0]?.present === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Development only: the demo creator gets a sample knowledge base, so the first question on /demo is
// answered with its sources. The pages are the answer benchmark's coaching handbook (bench/answers).
export const SAMPLE_KB_NAME = "Coaching handbook (sample)";
const SAMPLE_DIR = join(ROOT, "bench", "answers", "handbook");

/** fetch, retried while wrangler (re)builds the Worker right after start-up (503 "restarted mid-request"). */
async function call(url, init) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 10) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Uploads the sample handbook through the API unless the demo creator already has it. Returns pages uploaded. */
export async function seedSampleKnowledge(url) {
  const login = await call(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: DEMO.email, password: DEMO.password }),
  });
  if (!login.ok) throw new Error(`demo login failed: ${login.status}`);
  const auth = { Authorization: `Bearer ${(await login.json()).access_token}` };
  const list = await (await call(`${url}/api/v1/knowledge-bases`, { headers: auth })).json();
  if (list.knowledge_bases.some((k) => k.name === SAMPLE_KB_NAME)) return 0;
  const created = await call(`${url}/api/v1/knowledge-bases`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ name: SAMPLE_KB_NAME, description: "Sample pages seeded by npm run dev (development only)", audience: "public" }),
  });
  if (created.status !== 201) throw new Error(`sample knowledge base: ${created.status} ${await created.text()}`);
  const kb = await created.json();
  // One multi-file upload (titles come from the file names): the per-creator upload limit counts requests.
  const form = new FormData();
  const files = readdirSync(SAMPLE_DIR).filter((f) => f.endsWith(".md")).sort();
  for (const file of files) form.append("file", new File([readFileSync(join(SAMPLE_DIR, file))], file, { type: "text/markdown" }));
  const res = await call(`${url}/api/v1/knowledge-bases/${kb.id}/documents/batch`, { method: "POST", headers: auth, body: form });
  if (res.status !== 202) throw new Error(`sample upload: ${res.status} ${await res.text()}`);
  const uploaded = files.length - ((await res.json()).rejected ?? 0);
  return uploaded;
}

function banner(url, created) {
  const line = "─".repeat(60);
  return [
    "",
    line,
    `  EdgeCoach is running at ${url}`,
    `  Creator console: ${url}/app  (sign in with the demo login below)`,
    `  API reference: ${url}/docs`,
    "",
    `  Demo login (${created ? "created now" : "already present"}):`,
    `    email:    ${DEMO.email}`,
    `    password: ${DEMO.password}`,
    "",
    `  curl -s -X POST ${url}/api/v1/auth/login \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{"email":"${DEMO.email}","password":"${DEMO.password}"}'`,
    line,
    "",
  ].join("\n");
}

async function waitForHealth(url, child) {
  for (;;) {
    if (child.exitCode !== null) return false;
    try {
      if ((await fetch(`${url}/health`)).ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main() {
  const args = process.argv.slice(2);
  const persistTo = argValue(args, "--persist-to");
  const port = argValue(args, "--port") ?? "8787";
  const ip = argValue(args, "--ip");

  // public/docs/scalar.js (the /docs script) is generated, not committed.
  const assets = spawnSync(process.execPath, [join(ROOT, "scripts", "prepare-assets.mjs")], { stdio: "inherit" });
  if (assets.status !== 0) process.exit(assets.status ?? 1);

  console.log("Applying local D1 migrations and seeding the demo creator…");
  const created = prepareLocalDatabase(persistTo && resolve(persistTo));

  const child = spawn(WRANGLER, ["dev", ...(argValue(args, "--port") ? [] : ["--port", port]), ...args], {
    cwd: ROOT,
    stdio: "inherit",
    env: CHILD_ENV,
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

  const host = !ip || ip === "0.0.0.0" || ip === "*" || ip === "::" ? "localhost" : ip.includes(":") ? `[${ip}]` : ip;
  const url = `http://${host}:${port}`;
  if (!(await waitForHealth(url, child))) return;
  try {
    const pages = await seedSampleKnowledge(url);
    console.log(pages ? `Sample knowledge base "${SAMPLE_KB_NAME}": ${pages} pages uploaded (ingesting on the queue).` : `Sample knowledge base "${SAMPLE_KB_NAME}" already present.`);
  } catch (err) {
    console.warn(`The sample knowledge base was not seeded: ${err.message}`);
  }
  console.log(banner(url, created));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
