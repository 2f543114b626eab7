// Production refuses the committed development key and serves no /demo; the HTML pages carry a CSP;
// encrypted values name their key so ENCRYPTION_KEY can be rotated.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { decryptText, encryptText, sealedKeyId } from "../../src/lib/crypto";
import { DEV_ENCRYPTION_KEY } from "../../src/middleware/production";

async function call(path: string, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://localhost${path}`, { headers: { "CF-Connecting-IP": "198.51.100.240" } }), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const REAL_KEY = "a-real-production-secret-0123456789abcdefXYZ";

describe("production", () => {
  it("refuses to serve with the committed development ENCRYPTION_KEY", async () => {
    const res = await call("/api/v1/auth/me", { ENVIRONMENT: "production", ENCRYPTION_KEY: DEV_ENCRYPTION_KEY });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");
    expect((await call("/health", { ENVIRONMENT: "production", ENCRYPTION_KEY: DEV_ENCRYPTION_KEY })).status).toBe(200);
  });

  it("serves no /demo", async () => {
    expect((await call("/demo", { ENVIRONMENT: "production", ENCRYPTION_KEY: REAL_KEY })).status).toBe(404);
  });
});

describe("Content-Security-Policy", () => {
  it("is set on /docs and /demo", async () => {
    for (const path of ["/docs", "/demo"]) {
      const res = await call(path);
      const policy = res.headers.get("Content-Security-Policy") ?? "";
      expect(policy, path).toContain("default-src 'self'");
      expect(policy, path).toContain("frame-ancestors 'none'");
      expect(policy, path).toContain("object-src 'none'");
    }
  });
});

describe("encrypted values", () => {
  it("carry a key id, so the key can be rotated: old values decrypt while the old key is listed second", async () => {
    const oldKey = "old-secret-0123456789abcdef0123456789abcdef";
    const newKey = "new-secret-0123456789abcdef0123456789abcdef";
    const sealed = await encryptText(oldKey, "bot token");
    expect(sealed.startsWith("v2.")).toBe(true);
    const oldId = sealedKeyId(sealed);
    expect(oldId).toMatch(/^[0-9a-f]{8}$/);
    // Rotation: the new key first, the old one still listed.
    const ring = `${newKey},${oldKey}`;
    expect(await decryptText(ring, sealed)).toBe("bot token");
    const resealed = await encryptText(ring, "bot token");
    expect(sealedKeyId(resealed)).not.toBe(oldId);
    // Once the old key is dropped, its values can't be read (and say which key they need).
    await expect(decryptText(newKey, sealed)).rejects.toThrow(new RegExp(oldId!));
    expect(await decryptText(newKey, resealed)).toBe("bot token");
  });
});
