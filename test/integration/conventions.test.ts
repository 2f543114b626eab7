import { createExecutionContext, env } from "cloudflare:test";
import { app } from "../../src/app";
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf } from "../helpers";

describe("API conventions", () => {
  it("answers an unknown route with 404 RESOURCE_NOT_FOUND in the standard format", async () => {
    const res = await api("/api/v1/nope");
    expect(res.status).toBe(404);
    const err = await errorOf(res);
    expect(err.code).toBe("RESOURCE_NOT_FOUND");
    expect(err.request_id).toBe(res.headers.get("X-Request-ID"));
    expect(Date.parse(err.timestamp)).not.toBeNaN();
    expect(Array.isArray(err.details)).toBe(true);
  });

  it("answers a wrong method with 405 and an Allow header", async () => {
    const res = await api("/api/v1/auth/login", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toContain("POST");
    expect((await errorOf(res)).code).toBe("METHOD_NOT_ALLOWED");
  });

  it("answers unparseable JSON with 400 MALFORMED_REQUEST", async () => {
    const res = await api("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"email": "a@b.co", ',
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("MALFORMED_REQUEST");
  });

  it("answers schema violations with 422 and one detail per field", async () => {
    const res = await api("/api/v1/auth/register", { method: "POST", json: { email: "not-an-email", password: 5 } });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe("VALIDATION_ERROR");
    const fields = err.details.map((d) => d.field).sort();
    expect(fields).toEqual(["email", "full_name", "password"]);
  });

  it("refuses a JSON body over 1 MiB with 413", async () => {
    const big = JSON.stringify({ email: "a@b.co", password: "x".repeat(1024 * 1024 + 10) });
    const res = await api("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: big });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses an oversized chunked body (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(256 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await api("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: stream });
    expect(res.status).toBe(413);
  });

  it("refuses a non-JSON body with 415", async () => {
    const res = await api("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "email=a@b.co",
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("echoes a valid X-Request-ID and replaces an invalid one", async () => {
    const mine = await api("/health", { headers: { "X-Request-ID": "trace-123.abc" } });
    expect(mine.headers.get("X-Request-ID")).toBe("trace-123.abc");
    const bad = await api("/health", { headers: { "X-Request-ID": "bad id with spaces" } });
    expect(bad.headers.get("X-Request-ID")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sets security headers and answers CORS preflights", async () => {
    const res = await api("/health");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBeTruthy();
    const pre = await api("/api/v1/auth/login", {
      method: "OPTIONS",
      headers: { Origin: "https://coach.example", "Access-Control-Request-Method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(pre.headers.get("Access-Control-Allow-Methods")).toContain("POST");
  });

  it("turns an uncaught error into 500 with no stack, SQL or internals", async () => {
    const s = await createCreator();
    await env.DB.exec("ALTER TABLE creators RENAME TO creators_gone");
    try {
      const res = await api("/api/v1/creators/profile", { token: s.access_token });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe("INTERNAL_SERVER_ERROR");
      expect(text).not.toMatch(/creators|SELECT|at |stack|D1_ERROR|sqlite/i);
    } finally {
      await env.DB.exec("ALTER TABLE creators_gone RENAME TO creators");
    }
  });

  it("writes one structured JSON log line per request", async () => {
    const lines: string[] = [];
    const original = console.log;
    console.log = (line: unknown) => lines.push(String(line));
    try {
      await api("/health", { headers: { "X-Request-ID": "log-check-1" } });
    } finally {
      console.log = original;
    }
    const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.request_id === "log-check-1");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: "info", method: "GET", path: "/health", status: 200, creator_id: null });
    expect(typeof entries[0].duration_ms).toBe("number");
    expect(typeof entries[0].timestamp).toBe("string");
  });
});

describe("GET /health and GET /ready", () => {
  it("reports liveness", async () => {
    const res = await api("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("checks D1 and R2 and reports the providers", async () => {
    const res = await api("/ready");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }>; providers: Record<string, string> };
    expect(body.status).toBe("ready");
    expect(body.checks.d1!.ok).toBe(true);
    expect(body.checks.r2!.ok).toBe(true);
    expect(body.providers).toEqual({ ai: "local", vector_store: "d1" });
  });
});

describe("GET /openapi.json and GET /docs", () => {
  it("publishes an OpenAPI 3.1 document with every route", async () => {
    const res = await api("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/api/v1/auth/register",
      "/api/v1/auth/login",
      "/api/v1/auth/refresh",
      "/api/v1/auth/me",
      "/api/v1/auth/logout",
      "/api/v1/auth/password/validate",
      "/api/v1/auth/password/reset/request",
      "/api/v1/auth/password/reset/confirm",
      "/api/v1/auth/tokens/revoke",
      "/api/v1/auth/keys/rotate",
      "/api/v1/auth/gdpr/data-deletion",
      "/api/v1/auth/gdpr/data-export",
      "/.well-known/jwks.json",
      "/api/v1/team/members",
      "/api/v1/team/members/{member_id}",
      "/api/v1/creators/profile",
      "/health",
      "/ready",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });

  it("serves an interactive reference whose script is served locally", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).toContain("/docs/scalar.js");
  });
});

describe("GET /ready when a dependency is missing", () => {
  it("answers 503 and names the failing check when the encryption key is not configured", async () => {
    const res = await app.fetch(new Request("http://localhost/ready"), { ...env, ENCRYPTION_KEY: "" }, createExecutionContext());
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("degraded");
    expect(body.checks.secrets!.ok).toBe(false);
    expect(body.checks.d1!.ok).toBe(true);
  });
});
