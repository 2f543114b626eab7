// `npm run dev`: migrations + an idempotent demo creator + wrangler dev, with extra args passed to wrangler.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO, prepareLocalDatabase, SAMPLE_KB_NAME } from "../../scripts/dev.mjs";
import { freePort, ROOT } from "../support/wrangler-dev";

const persistDir = mkdtempSync(join(tmpdir(), "edgecoach-devscript-"));
afterAll(() => rmSync(persistDir, { recursive: true, force: true }));

/** Runs `npm run dev -- <args>` until its banner appears, then calls `use` and stops it. */
async function withDevScript(args: string[], use: (banner: string) => Promise<void>) {
  const child = spawn("npm", ["run", "dev", "--", ...args], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const deadline = Date.now() + 90_000;
    while (!out.includes("Demo login")) {
      if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm run dev printed no demo login in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 100)); // the rest of the banner
    await use(out);
  } finally {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  }
}

async function login(url: string, email: string, password: string) {
  return fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
}

function demoMemberCount(): number {
  const res = spawnSync(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--json", "--command", `SELECT count(*) AS n FROM members WHERE email = '${DEMO.email}'`],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, CI: "true" } },
  );
  if (res.status !== 0) throw new Error(`${res.stdout}\n${res.stderr}`);
  return (JSON.parse(res.stdout) as { results: { n: number }[] }[])[0]!.results[0]!.n;
}

describe("npm run dev", () => {
  it("migrates, seeds the demo creator, serves on the requested port and prints a working login", async () => {
    const port = await freePort();
    const inspector = await freePort();
    const args = ["--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", persistDir, "--show-interactive-dev-session=false"];
    await withDevScript(args, async (banner) => {
      expect(banner).toContain(`http://127.0.0.1:${port}`);
      expect(banner).toContain(`email:    ${DEMO.email}`);
      expect(banner).toContain(`password: ${DEMO.password}`);
      expect(banner).toContain("created now");
      expect(banner).toContain(`Creator console: http://127.0.0.1:${port}/app`);
      expect((await fetch(`http://127.0.0.1:${port}/app`)).headers.get("content-type")).toContain("text/html");

      const res = await login(`http://127.0.0.1:${port}`, DEMO.email, DEMO.password);
      expect(res.status).toBe(200);
      const session = (await res.json()) as { access_token: string; creator: { id: string; member: { role: string } } };
      expect(session.creator.id).toBe(DEMO.creatorId);
      expect(session.creator.member.role).toBe("owner");
      const me = await fetch(`http://127.0.0.1:${port}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${session.access_token}` } });
      expect(me.status).toBe(200);

      expect((await login(`http://127.0.0.1:${port}`, DEMO.email, "Not-The-Demo-Password-1")).status).toBe(401);

      // The sample handbook is seeded, and the first question a visitor asks on /demo (a widget
      // session of the demo creator) is answered from it, with its sources.
      expect(banner).toContain(`Sample knowledge base "${SAMPLE_KB_NAME}": `);
      const url = `http://127.0.0.1:${port}`;
      const auth = { Authorization: `Bearer ${session.access_token}` };
      const kbs = (await (await fetch(`${url}/api/v1/knowledge-bases`, { headers: auth })).json()) as { knowledge_bases: { id: string; name: string; audience: string }[] };
      const kb = kbs.knowledge_bases.find((k) => k.name === SAMPLE_KB_NAME)!;
      expect(kb.audience).toBe("public");
      const deadline = Date.now() + 60_000;
      for (;;) {
        const docs = (await (await fetch(`${url}/api/v1/knowledge-bases/${kb.id}/documents?status=completed&limit=1`, { headers: auth })).json()) as { pagination: { total: number } };
        if (docs.pagination.total >= 11) break;
        if (Date.now() > deadline) throw new Error("sample handbook not ingested in time");
        await new Promise((r) => setTimeout(r, 500));
      }
      const key = ((await (await fetch(`${url}/api/v1/creators/widget/config`, { headers: auth })).json()) as { widget_key: string }).widget_key;
      expect(await (await fetch(`${url}/demo`)).text()).toContain(key); // the widget /demo embeds
      const visitor = (await (
        await fetch(`${url}/api/v1/channels/sessions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ widget_key: key }) })
      ).json()) as { websocket_url: string; token: string };
      const ws = new WebSocket(`${url.replace(/^http/, "ws")}${visitor.websocket_url}?token=${encodeURIComponent(visitor.token)}`);
      const reply = await new Promise<{ text: string; sources: { content: string; metadata: Record<string, unknown> }[] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no AI reply on the demo widget")), 30_000);
        ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "message", id: "first", text: "How much protein should I eat daily?" })));
        ws.addEventListener("message", (e) => {
          const f = JSON.parse(String(e.data));
          if (f.type === "message" && f.sender === "ai") {
            clearTimeout(timer);
            resolve(f);
          }
        });
        ws.addEventListener("error", () => reject(new Error("widget socket failed")));
      });
      ws.close();
      expect(reply.text).toContain("1.6 grams of protein");
      expect(reply.sources.map((s) => s.metadata.document_title)).toContain("nutrition");
    });
  });

  it("seeds idempotently into the --persist-to state (a second run adds nothing)", () => {
    expect(prepareLocalDatabase(persistDir)).toBe(false);
    expect(demoMemberCount()).toBe(1);
  });
});
