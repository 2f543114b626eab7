// Tracker 11 (low): /api/v1/ai/models/status shows the provider's errors (internal URLs) and the
// vector store to admins only; agents see only whether the AI works.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { createCreator } from "../helpers";
import { createAgent } from "../realtime";

// An OpenAI-compatible provider at an internal address nobody listens on: its error names the URL.
const VARS = { AI_PROVIDER: "openai", OPENAI_BASE_URL: "http://127.0.0.1:9/internal-llm/v1" };

async function status(token: string) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request("http://localhost/api/v1/ai/models/status", { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": "198.51.100.9" } }), { ...env, ...VARS }, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  return { text: await res.clone().text(), body: (await res.json()) as Record<string, unknown> };
}

describe("GET /api/v1/ai/models/status", () => {
  it("gives provider errors and internal addresses to admins, not to agents", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const agent = await createAgent(owner.access_token);
    const admin = await status(owner.access_token);
    expect(admin.body.status).toBe("unavailable");
    expect(admin.body.vector_store).toBeDefined();
    expect(admin.body.detail).toEqual(expect.any(String));
    const seen = await status(agent.access_token);
    expect(seen.body.status).toBe("unavailable");
    expect(seen.body.vector_store).toBeUndefined();
    expect(seen.text).not.toContain("127.0.0.1");
    expect(seen.text).not.toContain("internal-llm");
    expect(seen.body.detail).not.toBe(admin.body.detail);
  });
});
