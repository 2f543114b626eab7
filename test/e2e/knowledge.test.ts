// End to end over real HTTP against `wrangler dev` (offline: local provider, D1 vectors, miniflare
// queue): upload a document, wait for ingestion, search it, ask a question with and without streaming.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type DevServer } from "../support/wrangler-dev";

let server: DevServer;
let token: string;

const GUIDE = `# Running club guide

## Injuries
If you feel sharp pain, stop running and rest for three days before trying again.

## Membership
The yearly membership costs 120 euros and includes two coaching sessions.
`;

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    init.body = JSON.stringify(init.json);
  }
  return fetch(`${server.url}${path}`, { ...init, headers });
}

beforeAll(async () => {
  server = await startWranglerDev();
  const res = await call("/api/v1/auth/register", {
    method: "POST",
    json: { email: `e2e-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "E2E Coach" },
  });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await server?.stop();
});

describe("knowledge over wrangler dev", () => {
  it("uploads, ingests on the queue, searches and answers with sources", async () => {
    const kb = (await (await call("/api/v1/knowledge-bases", { method: "POST", json: { name: "Club" } })).json()) as { id: string };
    const form = new FormData();
    form.set("file", new File([GUIDE], "guide.md", { type: "text/markdown" }));
    form.set("title", "Club guide");
    const up = await call(`/api/v1/knowledge-bases/${kb.id}/documents`, { method: "POST", body: form });
    expect(up.status).toBe(202);
    const doc = (await up.json()) as { id: string; processing_status: string };
    expect(doc.processing_status).toBe("pending");

    let status = "pending";
    for (let i = 0; i < 25 && (status === "pending" || status === "processing"); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      status = ((await (await call(`/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}`)).json()) as { processing_status: string }).processing_status;
    }
    expect(status).toBe("completed");

    const search = (await (await call(`/api/v1/creators/knowledge/search?q=${encodeURIComponent("membership price")}&limit=3`)).json()) as any;
    expect(search.results[0].content).toContain("120 euros");
    expect(search.results[0].snippet).toContain("<mark>");

    const answer = (await (await call("/api/v1/ai/conversations", { method: "POST", json: { message: "How much does the yearly membership cost?" } })).json()) as any;
    expect(answer.response).toContain("120 euros");
    expect(answer.model_used).toBe("local-extractive");
    expect(answer.sources_count).toBeGreaterThan(0);
    expect(answer.sources[0].metadata.document_title).toBe("Club guide");

    const sse = await call("/api/v1/ai/conversations", {
      method: "POST",
      headers: { Accept: "text/event-stream" },
      json: { message: "What should I do about sharp pain?", conversation_id: answer.conversation_id },
    });
    expect(sse.headers.get("Content-Type")).toContain("text/event-stream");
    const text = await sse.text();
    expect(text).toContain("event: delta");
    const done = JSON.parse(/event: done\ndata: (.*)/.exec(text)![1]!);
    expect(done.response).toContain("rest for three days");
    expect(done.conversation_id).toBe(answer.conversation_id);
  });
});
