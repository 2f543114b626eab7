// Attacks on sign-in: credential stuffing from one address, password guessing from many, reset-mail floods.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { captureMail, createCreator, errorOf } from "../helpers";

async function call(path: string, init: RequestInit & { json?: unknown; token?: string; ip: string }, vars: Record<string, string> = {}) {
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

const login = (email: string, password: string, ip: string, vars: Record<string, string> = {}, token?: string) =>
  call("/api/v1/auth/login", { method: "POST", json: { email, password }, ip, token }, vars);

describe("credential stuffing", () => {
  it("one address trying many emails is refused after the per-address total", async () => {
    const ip = "198.51.100.200";
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await login(`stuffed-${i}@example.com`, "Wrong-Password-1", ip)).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
  });

  it("IPv6 addresses of one /64 share the per-address total", async () => {
    const vars = { RATE_LIMIT_AUTH_PER_ADDRESS_PER_MINUTE: "5" };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await login(`v6-${i}@example.com`, "Wrong-Password-1", `2001:db8:1:2::${(i + 1).toString(16)}`, vars)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another /64 is not affected.
    expect((await login("v6-other@example.com", "Wrong-Password-1", "2001:db8:1:3::1", vars)).status).toBe(401);
  });

  it("a bearer token sent to an auth route doesn't buy a fresh bucket", async () => {
    const attacker = await createCreator();
    const attacker2 = await createCreator();
    const ip = "198.51.100.201";
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await login("victim-bearer@example.com", "Wrong-Password-1", ip, {}, i % 2 ? attacker.access_token : attacker2.access_token)).status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});

describe("password guessing against one account from many addresses", () => {
  const vars = { LOGIN_FAILURES_BEFORE_LOCK: "5", LOGIN_LOCK_SECONDS: "60" };

  it("locks the account's logins for a short time after N failures, whatever the address", async () => {
    const victim = await createCreator();
    for (let i = 0; i < 5; i++) expect((await login(victim.email, "Wrong-Password-1", `203.0.113.${i + 1}`, vars)).status).toBe(401);
    // Even the right password from a fresh address is refused while the lock lasts.
    const locked = await login(victim.email, victim.password, "203.0.113.50", vars);
    expect(locked.status).toBe(429);
    expect((await errorOf(locked)).code).toBe("RATE_LIMIT_EXCEEDED");
    const retry = Number(locked.headers.get("Retry-After"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    // Other accounts are not affected.
    const other = await createCreator();
    expect((await login(other.email, other.password, "203.0.113.51", vars)).status).toBe(200);
  });

  it("the owner keeps their signed-in sessions and can reset the password, which lifts the lock", async () => {
    const victim = await createCreator();
    for (let i = 0; i < 5; i++) await login(victim.email, "Wrong-Password-1", `203.0.114.${i + 1}`, vars);
    expect((await login(victim.email, victim.password, "203.0.114.60", vars)).status).toBe(429);
    // Refresh (the owner's known device) keeps working.
    expect((await call("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: victim.refresh_token }, ip: "203.0.114.61" }, vars)).status).toBe(200);
    const mail = await captureMail(victim.email, () =>
      call("/api/v1/auth/password/reset/request", { method: "POST", json: { email: victim.email }, ip: "203.0.114.62" }, vars),
    );
    const token = /Reset token: (\S+)/.exec(mail!)![1]!;
    const confirm = await call("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: "Another-Strong-Pass-77" }, ip: "203.0.114.62" }, vars);
    expect(confirm.status).toBe(200);
    expect((await login(victim.email, "Another-Strong-Pass-77", "203.0.114.63", vars)).status).toBe(200);
  });

  it("a repeated lock lasts longer (up to the maximum)", async () => {
    // Time can't be waited for in a test: drive the account's counter object with explicit clocks.
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("account:growth@example.com"));
    const policy = { threshold: 2, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 };
    const t0 = Date.now();
    await stub.recordFailure(policy, t0);
    const first = await stub.recordFailure(policy, t0);
    expect(first.lockedUntil - t0).toBe(60_000);
    await stub.recordFailure(policy, first.lockedUntil + 1);
    const second = await stub.recordFailure(policy, first.lockedUntil + 1);
    expect(second.lockedUntil - (first.lockedUntil + 1)).toBe(120_000);
    let until = second;
    for (let i = 0; i < 6; i++) {
      await stub.recordFailure(policy, until.lockedUntil + 1);
      until = await stub.recordFailure(policy, until.lockedUntil + 1);
    }
    expect(until.lockSeconds).toBe(900);
  });
});

describe("reset mails", () => {
  it("are capped per email address, whatever the address they are asked from", async () => {
    const victim = await createCreator();
    const vars = { PASSWORD_RESET_MAILS_PER_HOUR: "3" };
    let mails = 0;
    for (let i = 0; i < 6; i++) {
      const body = await captureMail(victim.email, async () => {
        const res = await call("/api/v1/auth/password/reset/request", { method: "POST", json: { email: victim.email }, ip: `192.0.2.${100 + i}` }, vars);
        // Same answer either way: the cap doesn't tell the asker whether the account exists.
        expect(res.status).toBe(202);
      });
      if (body) mails++;
    }
    expect(mails).toBe(3);
  });
});
