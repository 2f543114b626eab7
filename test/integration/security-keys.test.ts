// Signing keys are the platform's: only the operator rotates them; the cron rotates old keys; retired
// keys stay published as long as any token they signed (widget tokens included) can be valid.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { rotateKeysIfDue } from "../../src/modules/auth/keys";
import { createCreator, errorOf, inviteAndAccept } from "../helpers";

const OPERATOR = "operator-test-key-0123456789";

async function call(path: string, init: RequestInit & { token?: string } = {}, vars: Record<string, string> = {}) {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost${path}`, { ...init, headers }), { ...env, OPERATOR_API_KEY: OPERATOR, KEY_ROTATION_MIN_INTERVAL_SECONDS: "0", ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const kidOf = (token: string) => JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).kid as string;

describe("POST /api/v1/auth/keys/rotate", () => {
  it("answers 403 to every creator token, owner and admin included", async () => {
    const owner = await createCreator();
    const admin = await inviteAndAccept(owner.access_token, "admin");
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const before = await env.DB.prepare("SELECT count(*) AS n FROM signing_keys").first<{ n: number }>();
    for (const token of [owner.access_token, admin.access_token, agent.access_token, "not-a-token"]) {
      const res = await call("/api/v1/auth/keys/rotate", { method: "POST", token });
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("INSUFFICIENT_PERMISSIONS");
    }
    expect((await call("/api/v1/auth/keys/rotate", { method: "POST" })).status).toBe(403);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM signing_keys").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("answers 403 to everybody when no operator key is set", async () => {
    const res = await call("/api/v1/auth/keys/rotate", { method: "POST", token: OPERATOR }, { OPERATOR_API_KEY: "" });
    expect(res.status).toBe(403);
  });

  it("rotates with the operator credential; the old key stays published until its widget tokens expire", async () => {
    const s = await createCreator();
    const oldKid = kidOf(s.access_token);
    const res = await call("/api/v1/auth/keys/rotate", { method: "POST", token: OPERATOR });
    expect(res.status).toBe(200);
    const { kid, retired_kids } = (await res.json()) as { kid: string; retired_kids: string[] };
    expect(retired_kids).toContain(oldKid);
    const row = await env.DB.prepare("SELECT publish_until, retired_at FROM signing_keys WHERE kid = ?").bind(oldKid).first<{ publish_until: string; retired_at: string }>();
    // Widget tokens live 30 minutes by default, access tokens 15: the longer one counts.
    const kept = Date.parse(row!.publish_until) - Date.parse(row!.retired_at);
    expect(kept).toBeGreaterThanOrEqual(30 * 60 * 1000);
    const jwks = (await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, oldKid]));
  });
});

describe("after a rotation", () => {
  it("signs with the new key from now on and keeps the old key published while its tokens live", async () => {
    const s = await createCreator();
    const oldKid = kidOf(s.access_token);
    const { kid } = (await (await call("/api/v1/auth/keys/rotate", { method: "POST", token: OPERATOR })).json()) as { kid: string };
    const login = await app.fetch(
      new Request("http://localhost/api/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": "198.18.251.1" },
        body: JSON.stringify({ email: s.email, password: s.password }),
      }),
      env,
      createExecutionContext(),
    );
    expect(kidOf(((await login.json()) as { access_token: string }).access_token)).toBe(kid);
    // Tokens signed by the old key still work until they expire.
    expect((await call("/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
    // Once every token of the old key has expired, the key leaves the JWKS.
    await env.DB.prepare("UPDATE signing_keys SET publish_until = '2000-01-01T00:00:00.000Z' WHERE kid = ?").bind(oldKid).run();
    const later = ((await (await call("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(later).toContain(kid);
    expect(later).not.toContain(oldKid);
  });
});

describe("scheduled key rotation", () => {
  it("rotates when the active key is older than JWT_KEY_ROTATION_DAYS, and not before", async () => {
    await createCreator(); // makes sure a key exists
    const active = await env.DB.prepare("SELECT kid FROM signing_keys WHERE status = 'active' ORDER BY created_at DESC").first<{ kid: string }>();
    expect(await rotateKeysIfDue({ ...env, JWT_KEY_ROTATION_DAYS: "30" })).toBeNull();
    await env.DB.prepare("UPDATE signing_keys SET created_at = ? WHERE kid = ?").bind(new Date(Date.now() - 31 * 86_400_000).toISOString(), active!.kid).run();
    const rotated = await rotateKeysIfDue({ ...env, JWT_KEY_ROTATION_DAYS: "30" });
    expect(rotated?.retired).toContain(active!.kid);
    const status = await env.DB.prepare("SELECT status FROM signing_keys WHERE kid = ?").bind(active!.kid).first<{ status: string }>();
    expect(status!.status).toBe("retired");
  });

  it("a key past its publication stops verifying in this isolate too once the cache TTL has passed", async () => {
    const s = await createCreator();
    const kid = kidOf(s.access_token);
    expect((await call("/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
    await env.DB.prepare("UPDATE signing_keys SET status = 'retired', publish_until = '2000-01-01T00:00:00.000Z' WHERE kid = ?").bind(kid).run();
    // KEY_CACHE_TTL_SECONDS=0: the isolate re-reads the key set on every verification.
    const res = await call("/api/v1/auth/me", { token: s.access_token }, { KEY_CACHE_TTL_SECONDS: "0" });
    expect(res.status).toBe(401);
  });
});
