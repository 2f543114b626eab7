// "Sign in with Google" against the local OpenID provider (test/support/oidc-provider.ts): real
// discovery, PKCE, code exchange and JWKS-verified ID tokens; never the real Google.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { registrationAllowed } from "../../src/modules/oauth/allowlist";
import { api, createCreator, errorOf } from "../helpers";

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const cookieOf = (res: Response, name: string) =>
  res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.startsWith(`${name}=`));

/** Starts the flow and lets the provider answer: the callback's path and the browser's flow cookie. */
async function authorize(email: string, query = "") {
  const start = await api(`/api/v1/auth/google/login?login_hint=${encodeURIComponent(email)}${query}`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get("Location")!);
  const flowCookie = cookieOf(start, "ec_oauth")!;
  expect(start.headers.getSetCookie().join()).toMatch(/ec_oauth=.*HttpOnly/i);
  const atProvider = await fetch(location, { redirect: "manual" });
  expect(atProvider.status).toBe(302);
  const back = new URL(atProvider.headers.get("Location")!);
  return { location, flowCookie, callback: `${back.pathname}${back.search}` };
}

/** The whole browser flow; returns the final JSON sign-in and the refresh cookie. */
async function signIn(email: string): Promise<{ status: number; body?: any; refresh?: string; next?: string; error?: { message: string } }> {
  const { flowCookie, callback } = await authorize(email);
  const cb = await api(callback, { redirect: "manual", headers: { Cookie: flowCookie } });
  if (cb.status !== 302) return { status: cb.status, error: await errorOf(cb) };
  const success = new URL(cb.headers.get("Location")!, "http://localhost");
  expect(success.pathname).toBe("/api/v1/auth/login-success-redirect");
  const page = await api(`${success.pathname}${success.search}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const next = /url=([^"]+)"/.exec(html)![1]!.replace(/&#38;/g, "&");
  const validated = await api(next, { headers: { Accept: "application/json" } });
  expect(validated.status).toBe(200);
  expect(validated.headers.getSetCookie().join()).toMatch(/ec_refresh=.*HttpOnly.*SameSite=Strict/i);
  return { status: 200, body: await json(validated), refresh: cookieOf(validated, "ec_refresh")!.split("=")[1]!, next };
}

describe("GET /api/v1/auth/{provider}/login", () => {
  it("redirects to the provider with state, nonce, PKCE (S256) and our callback", async () => {
    const { location } = await authorize("someone@example.com");
    expect(location.origin).toBe(new URL(env.GOOGLE_OIDC_DISCOVERY_URL!).origin);
    const q = location.searchParams;
    expect(q.get("client_id")).toBe("edgecoach-test-client");
    expect(q.get("response_type")).toBe("code");
    expect(q.get("redirect_uri")).toBe("http://localhost:8787/api/v1/auth/google/callback");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("state")).toBeTruthy();
    expect(q.get("nonce")).toBeTruthy();
    expect(q.get("scope")).toBe("openid email profile");
  });

  it("an unknown provider is 404; an off-site redirect_to is 422", async () => {
    expect((await api("/api/v1/auth/myspace/login", { redirect: "manual" })).status).toBe(404);
    for (const bad of ["https://evil.example/", "//evil.example/", "/\\evil.example"]) {
      expect((await api(`/api/v1/auth/google/login?redirect_to=${encodeURIComponent(bad)}`, { redirect: "manual" })).status, bad).toBe(422);
    }
  });
});

describe("GET /api/v1/auth/{provider}/callback", () => {
  it("registers a new creator, and signs the same person in again without a second account", async () => {
    const email = `new-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const first = await signIn(email);
    expect(first.status).toBe(200);
    expect(first.body.creator).toMatchObject({ email, subscription_tier: "free" });
    const me = await json(await api("/api/v1/auth/me", { token: first.body.access_token }));
    expect(me.email).toBe(email);
    expect(me.member.role).toBe("owner");
    // The refresh cookie is a working session.
    const refreshed = await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: first.refresh } });
    expect(refreshed.status).toBe(200);

    const again = await signIn(email);
    expect(again.body.creator.id).toBe(first.body.creator.id);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM members WHERE email = ?").bind(email).first<{ n: number }>();
    expect(count!.n).toBe(1);
  });

  it("links to an existing password account with the same verified email", async () => {
    const existing = await createCreator();
    const result = await signIn(existing.email);
    expect(result.body.creator.id).toBe(existing.creator.id);
    const identity = await env.DB.prepare("SELECT member_id FROM oauth_identities WHERE email = ?").bind(existing.email).first<{ member_id: string }>();
    expect(identity!.member_id).toBe(existing.creator.member.id);
    // the password still works
    expect((await api("/api/v1/auth/login", { method: "POST", json: { email: existing.email, password: existing.password } })).status).toBe(200);
  });

  it("refuses an unverified email: no link to the existing account and no new account", async () => {
    const fresh = `unverified-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const refused = await signIn(fresh);
    expect(refused.status).toBe(403);
    expect(refused.error!.message).toMatch(/not verified/);
    const existing = await createCreator({ email: `unverified-owner-${crypto.randomUUID().slice(0, 6)}@example.com` });
    expect((await signIn(existing.email)).status).toBe(403);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM oauth_identities WHERE email IN (?, ?)").bind(fresh, existing.email).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    expect(await env.DB.prepare("SELECT id FROM members WHERE email = ?").bind(fresh).first()).toBeNull();
  });

  it("refuses an ID token for another client, an expired one and one with another nonce", async () => {
    for (const who of ["wrongaud", "expired", "badnonce"]) {
      const email = `${who}-${crypto.randomUUID().slice(0, 6)}@example.com`;
      const refused = await signIn(email);
      expect(refused.status, who).toBe(401);
      expect(await env.DB.prepare("SELECT id FROM members WHERE email = ?").bind(email).first()).toBeNull();
    }
  });

  it("refuses a callback without the flow cookie, with a different state, or a provider error", async () => {
    const { flowCookie, callback } = await authorize(`x-${crypto.randomUUID().slice(0, 6)}@example.com`);
    expect((await api(callback, { redirect: "manual" })).status).toBe(401);
    const forged = callback.replace(/state=[^&]+/, "state=forged");
    expect((await api(forged, { redirect: "manual", headers: { Cookie: flowCookie } })).status).toBe(401);
    expect((await api("/api/v1/auth/google/callback?error=access_denied", { redirect: "manual", headers: { Cookie: flowCookie } })).status).toBe(401);
    // A made-up code is refused by the provider.
    const state = new URL(callback, "http://x").searchParams.get("state");
    expect((await api(`/api/v1/auth/google/callback?code=made-up&state=${state}`, { redirect: "manual", headers: { Cookie: flowCookie } })).status).toBe(401);
  });
});

describe("GET /api/v1/auth/validate-token", () => {
  it("is single use, and a bad token is 401 or 422", async () => {
    const result = await signIn(`once-${crypto.randomUUID().slice(0, 6)}@example.com`);
    const replay = await api(result.next!, { headers: { Accept: "application/json" } });
    expect(replay.status).toBe(401);
    expect((await api(`/api/v1/auth/validate-token?token=${"a".repeat(43)}`)).status).toBe(401);
    expect((await api(`/api/v1/auth/validate-token`)).status).toBe(422);
    expect((await api(`/api/v1/auth/login-success-redirect`)).status).toBe(422);
  });

  it("a browser (no JSON) is sent on to its landing path with the cookie", async () => {
    const email = `browser-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const start = await api(`/api/v1/auth/google/login?login_hint=${encodeURIComponent(email)}&redirect_to=${encodeURIComponent("/app/inbox")}`, { redirect: "manual" });
    const atProvider = await fetch(start.headers.get("Location")!, { redirect: "manual" });
    const back = new URL(atProvider.headers.get("Location")!);
    const cb = await api(`${back.pathname}${back.search}`, { redirect: "manual", headers: { Cookie: cookieOf(start, "ec_oauth")! } });
    const ticket = new URL(cb.headers.get("Location")!, "http://x").searchParams.get("token")!;
    const landed = await api(`/api/v1/auth/validate-token?token=${encodeURIComponent(ticket)}`, { redirect: "manual" });
    expect(landed.status).toBe(302);
    expect(landed.headers.get("Location")).toBe("/app/inbox");
    expect(cookieOf(landed, "ec_refresh")).toBeTruthy();
  });
});

describe("REGISTRATION_ALLOWLIST", () => {
  it("admits listed addresses and domains only; unset admits everybody", () => {
    const restricted = { REGISTRATION_ALLOWLIST: "ana@example.com, @coach.example" } as Env;
    expect(registrationAllowed(restricted, "Ana@Example.com")).toBe(true);
    expect(registrationAllowed(restricted, "bob@example.com")).toBe(false);
    expect(registrationAllowed(restricted, "bob@coach.example")).toBe(true);
    expect(registrationAllowed(restricted, "bob@sub.coach.example")).toBe(false);
    expect(registrationAllowed(restricted, "bob@evilcoach.example")).toBe(false);
    expect(registrationAllowed({} as Env, "anyone@anywhere.example")).toBe(true);
  });
});
