import { env } from "cloudflare:test";
import { importJWK, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { decryptText } from "../../src/lib/crypto";
import { api, captureMail, createCreator, errorOf, inviteAndAccept, STRONG_PASSWORD } from "../helpers";

async function json<T = Record<string, any>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Signs a token with the platform's real active key, with any claims (for negative tests). */
async function forge(claims: Record<string, unknown>, opts: { alg?: string; exp?: string | number } = {}) {
  const row = await env.DB.prepare("SELECT kid, private_jwk_enc FROM signing_keys WHERE status = 'active' ORDER BY created_at DESC").first<{ kid: string; private_jwk_enc: string }>();
  const jwk = JSON.parse(await decryptText(env.ENCRYPTION_KEY, row!.private_jwk_enc)) as JWK;
  const key = await importJWK(jwk, "ES256");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: row!.kid })
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "10m")
    .sign(key);
}

function decode(token: string) {
  const [h, p] = token.split(".");
  const dec = (s: string) => JSON.parse(atob(s.replace(/-/g, "+").replace(/_/g, "/")));
  return { header: dec(h!), payload: dec(p!) };
}

describe("POST /api/v1/auth/register", () => {
  it("creates the creator, signs them in and returns the creator model", async () => {
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      json: { email: "New.Coach@Example.com", password: STRONG_PASSWORD, full_name: "New Coach", company_name: "Acme" },
    });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.token_type).toBe("bearer");
    expect(body.expires_in).toBe(900);
    expect(body.creator).toMatchObject({
      email: "new.coach@example.com",
      full_name: "New Coach",
      company_name: "Acme",
      subscription_tier: "free",
      is_active: true,
      member: { role: "owner", status: "active" },
    });
    const row = await env.DB.prepare("SELECT password_hash FROM members WHERE email = ?").bind("new.coach@example.com").first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2_sha256\$100000\$/);
    expect(row!.password_hash).not.toContain(STRONG_PASSWORD);
  });

  it("answers 409 for an email that already has an account (any case)", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      json: { email: s.email.toUpperCase(), password: STRONG_PASSWORD, full_name: "Dup" },
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("CONFLICT");
  });

  it("rejects short and common passwords with reasons, and stores nothing", async () => {
    for (const password of ["short1", "password123", "qwerty12345"]) {
      const email = `weak-${crypto.randomUUID().slice(0, 6)}@example.com`;
      const res = await api("/api/v1/auth/register", { method: "POST", json: { email, password, full_name: "W" } });
      expect(res.status).toBe(422);
      const err = await errorOf(res);
      expect(err.details[0]!.field).toBe("password");
      const count = await env.DB.prepare("SELECT count(*) AS n FROM members WHERE email = ?").bind(email).first<{ n: number }>();
      expect(count!.n).toBe(0);
    }
  });

  it("rejects an unknown time zone", async () => {
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      json: { email: "tz@example.com", password: STRONG_PASSWORD, full_name: "T", timezone: "Mars/Olympus" },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details[0]!.field).toBe("timezone");
  });
});

describe("POST /api/v1/auth/login", () => {
  it("signs in with the right password", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.access_token).toBeTruthy();
    expect(body.refresh_token).toBeTruthy();
    expect(body.creator.id).toBe(s.creator.id);
  });

  it("does not reveal whether the email exists", async () => {
    const s = await createCreator();
    const wrong = await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: "Wrong-Password-99" } });
    const unknown = await api("/api/v1/auth/login", { method: "POST", json: { email: "nobody@example.com", password: "Wrong-Password-99" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await errorOf(wrong), await errorOf(unknown)];
    expect(a.code).toBe("AUTHENTICATION_REQUIRED");
    expect(a.message).toBe(b.message);
  });
});

describe("access tokens", () => {
  it("are ES256 JWTs with kid, the spec's claims, jti and a 15 minute lifetime", async () => {
    const s = await createCreator();
    const { header, payload } = decode(s.access_token);
    expect(header.alg).toBe("ES256");
    expect(header.kid).toBeTruthy();
    expect(payload).toMatchObject({
      sub: s.creator.id,
      creator_id: s.creator.id,
      tenant_id: s.creator.id,
      subscription_tier: "free",
      aud: "coaching-platform",
      iss: "auth-service",
      permissions: ["read", "write", "admin", "conversations"],
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp - payload.iat).toBe(900);
  });

  it("verify against the published JWKS", async () => {
    const s = await createCreator();
    const jwks = await json<{ keys: { kid: string; kty: string; crv: string; d?: string }[] }>(await api("/.well-known/jwks.json"));
    const kid = decode(s.access_token).header.kid;
    const key = jwks.keys.find((k) => k.kid === kid);
    expect(key).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(key!.d).toBeUndefined();
  });

  it("refuses alg none, HS256 with the public key, wrong audience or issuer, expired and tampered tokens", async () => {
    const s = await createCreator();
    const good = decode(s.access_token);
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(good.payload)}.`;
    const jwks = await json<{ keys: JWK[] }>(await api("/.well-known/jwks.json"));
    const publicJwk = jwks.keys.find((k) => k.kid === good.header.kid)!;
    const hs = await new SignJWT(good.payload)
      .setProtectedHeader({ alg: "HS256", kid: good.header.kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const base = { ...good.payload };
    delete base.exp;
    delete base.iat;
    const wrongAud = await forge({ ...base, aud: "someone-else" });
    const wrongIss = await forge({ ...base, iss: "evil" });
    const expired = await forge(base, { exp: Math.floor(Date.now() / 1000) - 120 });
    const [h, p, sig] = s.access_token.split(".");
    const tampered = `${h}.${b64({ ...good.payload, creator_id: crypto.randomUUID() })}.${sig}`;
    for (const token of [none, hs, wrongAud, wrongIss, expired, tampered, "not-a-jwt", `${h}.${p}`]) {
      const res = await api("/api/v1/auth/me", { token });
      expect(res.status, token.slice(0, 40)).toBe(401);
      expect((await errorOf(res)).code).toBe("AUTHENTICATION_REQUIRED");
    }
    // The forging helper itself works: the same claims with the right aud/iss pass.
    expect((await api("/api/v1/auth/me", { token: await forge(base) })).status).toBe(200);
  });

  it("answers 401 without a token and for a malformed Authorization header", async () => {
    expect((await api("/api/v1/auth/me")).status).toBe(401);
    const res = await api("/api/v1/auth/me", { headers: { Authorization: "Basic abc" } });
    expect(res.status).toBe(401);
  });
});

describe("POST /api/v1/auth/refresh", () => {
  it("rotates: returns a new pair and the old refresh token is single use", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } });
    expect(res.status).toBe(200);
    const next = await json(res);
    expect(next.refresh_token).not.toBe(s.refresh_token);
    expect((await api("/api/v1/auth/me", { token: next.access_token })).status).toBe(200);
  });

  it("revokes the whole family when a used token comes back", async () => {
    const s = await createCreator();
    const first = await json(await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } }));
    const reuse = await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } });
    expect(reuse.status).toBe(401);
    // The legitimate newest token and every access token of the family are dead too.
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: first.refresh_token } })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: first.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
    // Another session of the same account is untouched.
    const other = await json(await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } }));
    expect((await api("/api/v1/auth/me", { token: other.access_token })).status).toBe(200);
  });

  it("lets only one of two concurrent refreshes with the same token win", async () => {
    const s = await createCreator();
    const results = await Promise.all(
      [1, 2].map(() => api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } })),
    );
    expect(results.map((r) => r.status).filter((x) => x === 200).length).toBeLessThanOrEqual(1);
  });

  it("answers 401 for an unknown token and 422 for a missing one", async () => {
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: "nope" } })).status).toBe(401);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: {} })).status).toBe(422);
  });
});

describe("GET /api/v1/auth/me", () => {
  it("returns the creator, the member and the permissions", async () => {
    const s = await createCreator({ full_name: "Me Myself" });
    const body = await json(await api("/api/v1/auth/me", { token: s.access_token }));
    expect(body).toMatchObject({ id: s.creator.id, full_name: "Me Myself", member: { role: "owner" } });
    expect(body.permissions).toContain("admin");
    expect(JSON.stringify(body)).not.toMatch(/password|hash/i);
  });
});

describe("POST /api/v1/auth/logout", () => {
  it("revokes the session's refresh family and the access token in hand", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/logout", { method: "POST", token: s.access_token });
    expect(res.status).toBe(204);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: s.refresh_token } })).status).toBe(401);
  });

  it("needs a token", async () => {
    expect((await api("/api/v1/auth/logout", { method: "POST" })).status).toBe(401);
  });
});

describe("POST /api/v1/auth/password/validate", () => {
  it("accepts a strong password and scores it", async () => {
    const body = await json(await api("/api/v1/auth/password/validate", { method: "POST", json: { password: STRONG_PASSWORD } }));
    expect(body.valid).toBe(true);
    expect(body.score).toBeGreaterThanOrEqual(3);
  });

  it("explains why a password is rejected", async () => {
    const body = await json(
      await api("/api/v1/auth/password/validate", { method: "POST", json: { password: "janedoe2024", email: "janedoe@example.com" } }),
    );
    expect(body.valid).toBe(false);
    expect(body.reasons).toContain("Password must not contain your email address");
    const common = await json(await api("/api/v1/auth/password/validate", { method: "POST", json: { password: "Password1234" } }));
    expect(common.reasons).toContain("Password is too common");
    const short = await json(await api("/api/v1/auth/password/validate", { method: "POST", json: { password: "aB3$" } }));
    expect(short.reasons[0]).toMatch(/at least 10/);
  });
});

describe("password reset", () => {
  async function requestReset(email: string): Promise<string | null> {
    const body = await captureMail(email, async () => {
      const res = await api("/api/v1/auth/password/reset/request", { method: "POST", json: { email } });
      expect(res.status).toBe(202);
    });
    return body ? /Reset token: (\S+)/.exec(body)![1]! : null;
  }

  it("mails a single-use token that sets a new password and signs out every session", async () => {
    const s = await createCreator();
    const token = await requestReset(s.email);
    expect(token).toBeTruthy();
    const stored = await env.DB.prepare("SELECT token_hash, expires_at FROM one_time_tokens WHERE member_id = ?").bind(s.creator.id).first<{ token_hash: string; expires_at: string }>();
    expect(stored!.token_hash).not.toBe(token);
    const ttl = Date.parse(stored!.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);

    const newPassword = "Another-Strong-Secret-42";
    const ok = await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: newPassword } });
    expect(ok.status).toBe(200);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } })).status).toBe(401);
    expect((await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: newPassword } })).status).toBe(200);
    // Single use.
    const again = await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: "Yet-Another-Secret-77" } });
    expect(again.status).toBe(422);
  });

  it("answers the same for an unknown email and mails nothing", async () => {
    expect(await requestReset("ghost@example.com")).toBeNull();
  });

  it("rejects a weak new password without using up the token", async () => {
    const s = await createCreator();
    const token = await requestReset(s.email);
    const weak = await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: "password1" } });
    expect(weak.status).toBe(422);
    expect((await errorOf(weak)).details[0]!.field).toBe("new_password");
    const ok = await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: "Strong-Enough-Pass-5" } });
    expect(ok.status).toBe(200);
  });

  it("refuses an expired or made-up token", async () => {
    const s = await createCreator();
    const token = await requestReset(s.email);
    await env.DB.prepare("UPDATE one_time_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE member_id = ?").bind(s.creator.id).run();
    expect((await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token, new_password: "Strong-Enough-Pass-5" } })).status).toBe(422);
    expect((await api("/api/v1/auth/password/reset/confirm", { method: "POST", json: { token: "made-up", new_password: "Strong-Enough-Pass-5" } })).status).toBe(422);
  });
});

describe("POST /api/v1/auth/tokens/revoke", () => {
  it("revokes an access token by value", async () => {
    const s = await createCreator();
    const second = await json(await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } }));
    const res = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: s.access_token, json: { token: second.access_token } });
    expect(await json(res)).toEqual({ revoked: true });
    expect((await api("/api/v1/auth/me", { token: second.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
  });

  it("revokes a refresh token's family", async () => {
    const s = await createCreator();
    const second = await json(await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } }));
    const res = await api("/api/v1/auth/tokens/revoke", {
      method: "POST",
      token: s.access_token,
      json: { token: second.refresh_token, token_type_hint: "refresh_token" },
    });
    expect(await json(res)).toEqual({ revoked: true });
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: second.refresh_token } })).status).toBe(401);
  });

  it("revokes every session of the caller with all_sessions", async () => {
    const s = await createCreator();
    const second = await json(await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } }));
    await api("/api/v1/auth/tokens/revoke", { method: "POST", token: s.access_token, json: { all_sessions: true } });
    expect((await api("/api/v1/auth/me", { token: second.access_token })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: s.access_token })).status).toBe(401);
  });

  it("can't revoke another creator's token and says so without leaking it", async () => {
    const a = await createCreator();
    const b = await createCreator();
    const res = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: a.access_token, json: { token: b.refresh_token } });
    expect(await json(res)).toEqual({ revoked: false });
    const res2 = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: a.access_token, json: { token: b.access_token } });
    expect(await json(res2)).toEqual({ revoked: false });
    expect((await api("/api/v1/auth/me", { token: b.access_token })).status).toBe(200);
    expect((await api("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: b.refresh_token } })).status).toBe(200);
  });

  it("needs a token or all_sessions (422)", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/tokens/revoke", { method: "POST", token: s.access_token, json: {} });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details[0]!.field).toBe("token");
  });
});

// POST /api/v1/auth/keys/rotate is an operator route: test/integration/security-keys.test.ts.
