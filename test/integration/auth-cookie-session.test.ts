// The console's browser session: refresh token in the HttpOnly ec_refresh cookie, never in the body.
import { describe, expect, it } from "vitest";
import { api, captureMail, createCreator, errorOf, STRONG_PASSWORD } from "../helpers";

const ORIGIN = "http://localhost";
const browser = (extra: Record<string, string> = {}) => ({ "X-Session": "cookie", Origin: ORIGIN, ...extra });

function cookieOf(res: Response): { value: string; attributes: string } {
  const header = res.headers.getSetCookie().find((c) => c.startsWith("ec_refresh="));
  if (!header) throw new Error("no ec_refresh cookie set");
  const [pair, ...attrs] = header.split(";");
  return { value: pair!.slice("ec_refresh=".length), attributes: attrs.join(";") };
}

async function browserLogin() {
  const account = await createCreator();
  const res = await api("/api/v1/auth/login", { method: "POST", headers: browser(), json: { email: account.email, password: account.password } });
  expect(res.status).toBe(200);
  return { account, res, body: (await res.json()) as Record<string, unknown>, cookie: cookieOf(res) };
}

describe("cookie sessions (X-Session: cookie)", () => {
  it("login sets an HttpOnly, SameSite=Strict cookie scoped to the auth routes and keeps the token out of the body", async () => {
    const { body, cookie } = await browserLogin();
    expect(body.access_token).toBeTruthy();
    expect(body.refresh_token).toBeUndefined();
    expect(cookie.value.length).toBeGreaterThan(20);
    expect(cookie.attributes).toMatch(/HttpOnly/i);
    expect(cookie.attributes).toMatch(/SameSite=Strict/i);
    expect(cookie.attributes).toMatch(/Path=\/api\/v1\/auth/);
    expect(cookie.attributes).toMatch(/Max-Age=\d+/);
    // Plain http on a loopback host: Secure would make the browser drop it.
    expect(cookie.attributes).not.toMatch(/Secure/i);
  });

  it("register in cookie mode signs in the same way", async () => {
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      headers: browser(),
      json: { email: `c-${crypto.randomUUID().slice(0, 8)}@example.com`, password: STRONG_PASSWORD, full_name: "Cookie Coach" },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Record<string, unknown>).refresh_token).toBeUndefined();
    expect(cookieOf(res).value).toBeTruthy();
  });

  it("refresh reads the cookie, rotates it, and the old cookie value is single use", async () => {
    const { cookie } = await browserLogin();
    const res = await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${cookie.value}` }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.access_token).toBeTruthy();
    expect(body.refresh_token).toBeUndefined();
    const next = cookieOf(res);
    expect(next.value).not.toBe(cookie.value);
    const me = await api("/api/v1/auth/me", { token: body.access_token as string });
    expect(me.status).toBe(200);
    // Reuse of the rotated-away value revokes the family and clears the cookie.
    const reuse = await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${cookie.value}` }) });
    expect(reuse.status).toBe(401);
    expect(reuse.headers.getSetCookie().some((c) => /^ec_refresh=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
    const stolen = await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${next.value}` }) });
    expect(stolen.status).toBe(401);
  });

  it("refresh without the cookie is 401, with another origin or none is 403 and rotates nothing", async () => {
    const { cookie } = await browserLogin();
    expect((await api("/api/v1/auth/refresh", { method: "POST", headers: browser() })).status).toBe(401);
    const evil = await api("/api/v1/auth/refresh", {
      method: "POST",
      headers: browser({ Origin: "https://evil.example", Cookie: `ec_refresh=${cookie.value}` }),
    });
    expect(evil.status).toBe(403);
    expect((await errorOf(evil)).code).toBe("INSUFFICIENT_PERMISSIONS");
    const noOrigin = await api("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "X-Session": "cookie", Cookie: `ec_refresh=${cookie.value}` },
    });
    expect(noOrigin.status).toBe(403);
    // The cookie is still good: the rejected requests did not use it up.
    expect((await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${cookie.value}` }) })).status).toBe(200);
  });

  it("a cross-origin login in cookie mode is refused", async () => {
    const account = await createCreator();
    const res = await api("/api/v1/auth/login", {
      method: "POST",
      headers: browser({ Origin: "https://evil.example" }),
      json: { email: account.email, password: account.password },
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("ec_refresh="))).toBe(false);
  });

  it("accepting an invitation in cookie mode signs the new member in with the cookie", async () => {
    const owner = await createCreator();
    const email = `agent-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const mail = await captureMail(email, async () => {
      const res = await api("/api/v1/team/members", { method: "POST", token: owner.access_token, json: { email, full_name: "Agent", role: "agent" } });
      expect(res.status).toBe(201);
    });
    const token = /Invitation token: (\S+)/.exec(mail!)![1]!;
    const res = await api("/api/v1/auth/invitations/accept", { method: "POST", headers: browser(), json: { token, password: STRONG_PASSWORD } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { refresh_token?: string; creator: { member: { role: string } } };
    expect(body.refresh_token).toBeUndefined();
    expect(body.creator.member.role).toBe("agent");
    const refreshed = await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${cookieOf(res).value}` }) });
    expect(refreshed.status).toBe(200);
  });

  it("logout clears the cookie and ends the session", async () => {
    const { body, cookie } = await browserLogin();
    const res = await api("/api/v1/auth/logout", {
      method: "POST",
      token: body.access_token as string,
      headers: browser({ Cookie: `ec_refresh=${cookie.value}` }),
    });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().some((c) => /^ec_refresh=;/.test(c))).toBe(true);
    expect((await api("/api/v1/auth/refresh", { method: "POST", headers: browser({ Cookie: `ec_refresh=${cookie.value}` }) })).status).toBe(401);
  });

  it("the bearer API is unchanged: no cookie, the token in the body, a body still required", async () => {
    const account = await createCreator();
    const res = await api("/api/v1/auth/login", { method: "POST", json: { email: account.email, password: account.password } });
    const body = (await res.json()) as { refresh_token: string };
    expect(body.refresh_token).toBeTruthy();
    expect(res.headers.getSetCookie()).toHaveLength(0);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: {} })).status).toBe(422);
    expect((await api("/api/v1/auth/refresh", { method: "POST" })).status).toBe(422);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: body.refresh_token } })).status).toBe(200);
  });
});
