// The auth lifecycle over real HTTP against `wrangler dev`: register → login → me → refresh → reuse → logout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type DevServer } from "../support/wrangler-dev";

let server: DevServer;

beforeAll(async () => {
  server = await startWranglerDev();
});

afterAll(async () => {
  await server?.stop();
});

async function call(method: string, path: string, opts: { json?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.json !== undefined) headers["Content-Type"] = "application/json";
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

function expectUnauthenticated(res: Awaited<ReturnType<typeof call>>) {
  expect(res.status).toBe(401);
  expect(res.body?.error?.code).toBe("AUTHENTICATION_REQUIRED");
  expect(res.body?.error?.request_id).toBe(res.headers.get("x-request-id"));
}

describe("auth lifecycle over HTTP (wrangler dev)", () => {
  const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = "Granite-Meadow-Compass-71";

  it("registers, signs in, refreshes, detects a reused refresh token and logs out", async () => {
    const registered = await call("POST", "/api/v1/auth/register", { json: { email, password, full_name: "E2E Creator" } });
    expect(registered.status).toBe(201);
    expect(registered.headers.get("x-request-id")).toBeTruthy();
    const creatorId = registered.body!.creator.id as string;
    expect(registered.body!.creator.email).toBe(email);

    const wrong = await call("POST", "/api/v1/auth/login", { json: { email, password: `${password}x` } });
    expectUnauthenticated(wrong);

    const login = await call("POST", "/api/v1/auth/login", { json: { email: email.toUpperCase(), password } });
    expect(login.status).toBe(200);
    expect(login.body!.token_type).toBe("bearer");
    const { access_token: access1, refresh_token: refresh1 } = login.body as { access_token: string; refresh_token: string };

    const me = await call("GET", "/api/v1/auth/me", { token: access1 });
    expect(me.status).toBe(200);
    expect(me.body!.id).toBe(creatorId);
    expect(me.body!.member.role).toBe("owner");
    expectUnauthenticated(await call("GET", "/api/v1/auth/me"));

    const refreshed = await call("POST", "/api/v1/auth/refresh", { json: { refresh_token: refresh1 } });
    expect(refreshed.status).toBe(200);
    const { access_token: access2, refresh_token: refresh2 } = refreshed.body as { access_token: string; refresh_token: string };
    expect(refresh2).not.toBe(refresh1);
    expect((await call("GET", "/api/v1/auth/me", { token: access2 })).status).toBe(200);

    // The old refresh token comes back: stolen-token detection revokes the whole family,
    // so the newest refresh token of that family no longer works either.
    expectUnauthenticated(await call("POST", "/api/v1/auth/refresh", { json: { refresh_token: refresh1 } }));
    expectUnauthenticated(await call("POST", "/api/v1/auth/refresh", { json: { refresh_token: refresh2 } }));
    // Access tokens carry their session (sid): those of the revoked family stop working too.
    expectUnauthenticated(await call("GET", "/api/v1/auth/me", { token: access2 }));

    // The session from registration is a separate family and is still alive until logout.
    const { access_token: access0, refresh_token: refresh0 } = registered.body as { access_token: string; refresh_token: string };
    expect((await call("GET", "/api/v1/auth/me", { token: access0 })).status).toBe(200);
    const logout = await call("POST", "/api/v1/auth/logout", { token: access0, json: { refresh_token: refresh0 } });
    expect(logout.status).toBe(204);
    expectUnauthenticated(await call("GET", "/api/v1/auth/me", { token: access0 }));
    expectUnauthenticated(await call("POST", "/api/v1/auth/refresh", { json: { refresh_token: refresh0 } }));
  });

  it("answers bad input with the standard error format over HTTP", async () => {
    const res = await call("POST", "/api/v1/auth/login", { json: { email: "not-an-email" } });
    expect(res.status).toBe(422);
    expect(res.body!.error.code).toBe("VALIDATION_ERROR");
    expect(res.body!.error.details.map((d: { field: string }) => d.field).sort()).toEqual(["email", "password"]);

    const raw = await fetch(`${server.url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe("MALFORMED_REQUEST");
  });
});
