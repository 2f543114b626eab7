// Rate-limit categories and raw-body exemptions are declared with the routes (src/lib/router.ts):
// every route in the OpenAPI document has a policy, and the limited kinds land where the specs say.
import { describe, expect, it } from "vitest";
import { policyOf } from "../../src/lib/router";
import { api } from "../helpers";

describe("route policies", () => {
  it("gives every documented route a declared policy", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    let routes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        routes++;
        const concrete = path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
        if (!policyOf(method.toUpperCase(), concrete)) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(routes).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it("puts brute-forceable, chat, upload, search and webhook routes in their categories", () => {
    const id = "00000000-0000-4000-8000-000000000000";
    expect(policyOf("POST", "/api/v1/auth/login")?.rateLimit).toBe("auth");
    expect(policyOf("POST", "/api/v1/auth/password/reset/request")?.rateLimit).toBe("auth");
    expect(policyOf("GET", "/api/v1/auth/me")?.rateLimit).toBe("default");
    expect(policyOf("GET", "/.well-known/jwks.json")?.rateLimit).toBe("none");
    expect(policyOf("GET", "/health")?.rateLimit).toBe("none");
    expect(policyOf("POST", "/api/v1/channels/sessions")?.rateLimit).toBe("chat");
    expect(policyOf("GET", `/api/v1/channels/widget/${id}/connect`)?.rateLimit).toBe("chat");
    expect(policyOf("GET", `/api/v1/conversations/${id}/connect`)?.rateLimit).toBe("chat");
    expect(policyOf("GET", "/api/v1/channels/connections")?.rateLimit).toBe("default");
    expect(policyOf("POST", "/api/v1/ai/conversations")).toEqual({ rateLimit: "chat", quotas: ["ai"] });
    expect(policyOf("POST", `/api/v1/knowledge-bases/${id}/documents`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw" });
    expect(policyOf("POST", `/api/v1/knowledge-bases/${id}/documents/batch`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw" });
    expect(policyOf("PUT", `/api/v1/knowledge-bases/${id}/documents/${id}`)?.body).toBeUndefined();
    expect(policyOf("POST", "/api/v1/creators/knowledge/upload")?.body).toBe("raw");
    expect(policyOf("POST", `/api/v1/conversations/${id}/files`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw" });
    expect(policyOf("POST", `/api/v1/chat/${id}/upload`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw" });
    expect(policyOf("GET", `/api/v1/conversations/${id}/files/${id}`)?.rateLimit).toBe("default");
    expect(policyOf("GET", "/api/v1/creators/knowledge/search")?.rateLimit).toBe("search");
    expect(policyOf("POST", "/api/v1/ai/documents/search")?.rateLimit).toBe("search");
    expect(policyOf("POST", "/api/memory/knowledge/search")?.rateLimit).toBe("search");
    expect(policyOf("GET", "/api/v1/auth/gdpr/data-export")?.quotas).toEqual(["exports"]);
    expect(policyOf("POST", "/api/v1/channels/telegram/webhook")).toEqual({ rateLimit: "none", body: "raw" });
    expect(policyOf("POST", `/webhooks/whatsapp/${id}`)).toEqual({ rateLimit: "none", body: "raw" });
    // Not a declared route: a 404 or a static asset, never limited.
    expect(policyOf("GET", "/widget.js")).toBeNull();
  });
});
