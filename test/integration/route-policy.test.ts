// Rate-limit categories and raw-body exemptions are declared with the routes (src/lib/router.ts):
// every route in the OpenAPI document has a policy, and the limited kinds land where the specs say.
import { describe, expect, it } from "vitest";
import { declaredPolicies, policyOf } from "../../src/lib/router";
import { api } from "../helpers";

const UPLOAD = { counts: ["uploads"], gauge: "storage_bytes" };

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
    expect(policyOf("POST", "/api/v1/ai/conversations")).toEqual({ rateLimit: "chat", quotas: ["ai"], meter: { counts: ["ai_messages", "ai_calls"] } });
    expect(policyOf("POST", `/api/v1/knowledge-bases/${id}/documents`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: UPLOAD });
    expect(policyOf("POST", `/api/v1/knowledge-bases/${id}/documents/batch`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: UPLOAD });
    expect(policyOf("PUT", `/api/v1/knowledge-bases/${id}/documents/${id}`)?.body).toBeUndefined();
    expect(policyOf("POST", "/api/v1/creators/knowledge/upload")?.body).toBe("raw");
    expect(policyOf("POST", `/api/v1/conversations/${id}/files`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: UPLOAD });
    expect(policyOf("POST", `/api/v1/chat/${id}/upload`)).toEqual({ rateLimit: "uploads", quotas: ["uploads"], body: "raw", meter: UPLOAD });
    expect(policyOf("GET", `/api/v1/conversations/${id}/files/${id}`)?.rateLimit).toBe("default");
    expect(policyOf("GET", "/api/v1/creators/knowledge/search")?.rateLimit).toBe("search");
    expect(policyOf("POST", "/api/v1/ai/documents/search")?.rateLimit).toBe("search");
    expect(policyOf("POST", "/api/memory/knowledge/search")?.rateLimit).toBe("search");
    expect(policyOf("GET", "/api/v1/auth/gdpr/data-export")?.quotas).toEqual(["exports"]);
    expect(policyOf("POST", "/api/v1/channels/telegram/webhook")).toEqual({ rateLimit: "none", body: "raw", meter: "none" });
    expect(policyOf("POST", `/webhooks/whatsapp/${id}`)).toEqual({ rateLimit: "none", body: "raw", meter: "none" });
    // Not a declared route: a 404 or a static asset, never limited.
    expect(policyOf("GET", "/widget.js")).toBeNull();
  });

  it("every route declares its plan metering, and the metered ones spend what the plan says", async () => {
    // Declared with the route (createRouter / withPolicy), not matched by path: a new route without it fails here.
    const undeclared = declaredPolicies().filter((r) => r.policy.meter === undefined).map((r) => `${r.method} ${r.pattern.source}`);
    expect(undeclared).toEqual([]);
    const id = "00000000-0000-4000-8000-000000000000";
    const meter = (method: string, path: string) => policyOf(method, path)?.meter;
    expect(meter("POST", "/api/v1/ai/conversations")).toEqual({ counts: ["ai_messages", "ai_calls"] });
    // The AI router's routes are AI calls, every one of them (a route added to it is too).
    expect(meter("POST", "/api/v1/ai/documents/search")).toEqual({ counts: ["ai_calls"] });
    expect(meter("GET", "/api/v1/ai/models/status")).toEqual({ counts: ["ai_calls"] });
    expect(meter("POST", "/api/memory/knowledge/search")).toEqual({ counts: ["ai_calls"] });
    expect(meter("POST", "/api/memory/memories")).toEqual({ counts: ["ai_calls"] });
    expect(meter("POST", `/api/v1/knowledge-bases/${id}/documents`)).toEqual(UPLOAD);
    expect(meter("POST", `/api/v1/knowledge-bases/${id}/documents/batch`)).toEqual(UPLOAD);
    expect(meter("POST", "/api/v1/creators/knowledge/upload")).toEqual(UPLOAD);
    expect(meter("POST", "/api/v1/knowledge-bases")).toEqual({ gauge: "knowledge_bases" });
    expect(meter("GET", "/api/v1/knowledge-bases")).toBe("api");
    expect(meter("POST", "/api/v1/team/members")).toEqual({ gauge: "team_members" });
    expect(meter("POST", "/api/v1/tasks/analyze")).toEqual({ counts: ["tasks"] });
    expect(meter("POST", "/api/v1/tasks/research")).toEqual({ counts: ["tasks"] });
    expect(meter("GET", "/api/v1/auth/me")).toBe("api");
    expect(meter("PUT", `/api/v1/operator/creators/${id}/plan`)).toBe("none");
    expect(meter("GET", "/metrics")).toBe("none");
    expect(meter("GET", "/health")).toBe("none");
  });
});
