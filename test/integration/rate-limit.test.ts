import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { api, createCreator, errorOf } from "../helpers";

/** Calls the app with settings overridden (limits are settings), through the real DO and D1. */
async function call(path: string, init: RequestInit & { json?: unknown; token?: string; ip: string }, vars: Record<string, string>) {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", init.ip);
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    init.body = JSON.stringify(init.json);
  }
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost${path}`, { ...init, headers }), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const login = (email: string, ip: string, vars: Record<string, string> = {}) =>
  call("/api/v1/auth/login", { method: "POST", json: { email, password: "Wrong-Password-1" }, ip }, vars);

describe("rate limits", () => {
  it("auth endpoints: 10 a minute per address and account, then 429 with Retry-After and X-RateLimit-*", async () => {
    const ip = "198.51.100.1";
    const email = "victim@example.com";
    // The account's own failure lock (security-login.test.ts) is out of the way here.
    const noLock = { LOGIN_FAILURES_BEFORE_LOCK: "1000" };
    for (let i = 0; i < 10; i++) {
      const res = await login(email, ip, noLock);
      expect(res.status).toBe(401);
      expect(res.headers.get("X-RateLimit-Limit")).toBe("10");
      expect(res.headers.get("X-RateLimit-Remaining")).toBe(String(9 - i));
    }
    const blocked = await login(email, ip, noLock);
    expect(blocked.status).toBe(429);
    expect((await errorOf(blocked)).code).toBe("RATE_LIMIT_EXCEEDED");
    const retry = Number(blocked.headers.get("Retry-After"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(blocked.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(Number(blocked.headers.get("X-RateLimit-Reset"))).toBeGreaterThan(Date.now() / 1000);

    // The attacker can't lock the victim out from another address...
    expect((await login(email, "203.0.113.9", noLock)).status).toBe(401);
    // ...and colleagues behind the same NAT address can still sign in to their own accounts.
    expect((await login("colleague@example.com", ip, noLock)).status).toBe(401);
  });

  it("is exact under concurrency", async () => {
    const ip = "198.51.100.2";
    const results = await Promise.all(Array.from({ length: 25 }, () => login("burst@example.com", ip)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it("limits are settings", async () => {
    const vars = { RATE_LIMIT_AUTH_PER_MINUTE: "2" };
    const ip = "198.51.100.3";
    expect((await login("s@example.com", ip, vars)).status).toBe(401);
    expect((await login("s@example.com", ip, vars)).status).toBe(401);
    expect((await login("s@example.com", ip, vars)).status).toBe(429);
  });

  it("counts a creator's API calls per member per minute (default 30) and per creator per hour", async () => {
    const s = await createCreator();
    const vars = { RATE_LIMIT_DEFAULT_PER_MINUTE: "1000", CREATOR_API_CALLS_PER_HOUR: "5" };
    const statuses: number[] = [];
    // Different addresses: the creator quota follows the token, not the address.
    for (let i = 0; i < 6; i++) {
      statuses.push((await call("/api/v1/auth/me", { token: s.access_token, ip: `192.0.2.${i + 1}` }, vars)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const s2 = await createCreator();
    const perMember = { RATE_LIMIT_DEFAULT_PER_MINUTE: "3" };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push((await call("/api/v1/creators/profile", { token: s2.access_token, ip: "192.0.2.50" }, perMember)).status);
    expect(seen).toEqual([200, 200, 200, 429]);
    // Another creator is not affected.
    const s3 = await createCreator();
    expect((await call("/api/v1/creators/profile", { token: s3.access_token, ip: "192.0.2.50" }, perMember)).status).toBe(200);
  });

  it("counts data exports against the daily export quota", async () => {
    const s = await createCreator();
    const vars = { CREATOR_EXPORTS_PER_DAY: "1" };
    expect((await call("/api/v1/auth/gdpr/data-export", { token: s.access_token, ip: "192.0.2.60" }, vars)).status).toBe(200);
    const res = await call("/api/v1/auth/gdpr/data-export", { token: s.access_token, ip: "192.0.2.60" }, vars);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(60);
  });

  it("never limits health checks or the JWKS", async () => {
    for (let i = 0; i < 40; i++) {
      const res = await api("/health", { ip: "198.51.100.77" });
      expect(res.status).toBe(200);
      expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
    }
  });
});

describe("rate limits on token-bearing auth requests", () => {
  it("made-up refresh tokens from one address don't lock out a real user's refresh there", async () => {
    const s = await createCreator();
    const ip = "198.51.100.99";
    for (let i = 0; i < 12; i++) {
      const res = await call("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: `bogus-${i}` }, ip }, {});
      expect(res.status).toBe(401);
    }
    const real = await call("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token }, ip }, {});
    expect(real.status).toBe(200);
    // The same made-up token over and over is limited.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await call("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: "same-guess" }, ip }, {})).status);
    expect(statuses.at(-1)).toBe(429);
  });
});
