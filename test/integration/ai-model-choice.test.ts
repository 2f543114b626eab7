// Issue 14: a creator chooses the chat model of their assistant (answers then use it), and a knowledge
// base's embedding_model is honoured or refused with a 422 — never stored and ignored.
import { describe, expect, inject, it } from "vitest";
import { ANTHROPIC_STUB_KEY } from "../support/anthropic-stub";
import { call } from "../ai-helpers";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";

// Retrieval stays local (the test Worker's ingestion is local); generation may go to Claude.
const withClaude = () => ({ AI_PROVIDER: "local", AI_PROVIDERS: "anthropic", ANTHROPIC_BASE_URL: inject("anthropicStubUrl"), ANTHROPIC_API_KEY: ANTHROPIC_STUB_KEY });
const openai = () => ({ AI_PROVIDER: "openai", OPENAI_BASE_URL: inject("openaiStubUrl"), OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed" });

describe("the assistant's chat model (persona chat_model)", () => {
  it("is checked against the configured providers and then generates the answers", { timeout: 60_000 }, async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "schedule.md", "# Schedule\n\nSpin classes run every Monday at 7pm in studio B.\n");
    const ask = () => call("/api/v1/ai/conversations", { token: s.access_token, json: { message: "When do spin classes run?" } }, withClaude());

    const before = (await (await ask()).json()) as any;
    expect(before.model_used).toBe("local-extractive");

    const unknown = await call("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { chat_model: "gpt-9000" } }, withClaude());
    expect(unknown.status).toBe(422);
    expect((await errorOf(unknown)).details).toEqual([{ field: "chat_model", message: "not served by any configured provider" }]);
    const embedder = await call("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { chat_model: "local-hash-ngram-2048" } }, withClaude());
    expect((await errorOf(embedder)).message).toMatch(/can't do chat/);

    const set = await call("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { chat_model: "claude-haiku-4-5" } }, withClaude());
    expect(set.status).toBe(200);
    expect(((await set.json()) as any).chat_model).toBe("anthropic:claude-haiku-4-5");

    const after = (await (await ask()).json()) as any;
    expect(after.model_used).toBe("claude-haiku-4-5");
    expect(after.response).toBe("Claude says: Spin classes run every Monday at 7pm in studio B. [1]");

    // Back to the default.
    const reset = await call("/api/v1/creators/assistant", { method: "PUT", token: s.access_token, json: { chat_model: null } }, withClaude());
    expect(((await reset.json()) as any).chat_model).toBeNull();
    expect(((await (await ask()).json()) as any).model_used).toBe("local-extractive");
  });
});

describe("a chat created with a model (POST /api/v1/chat)", () => {
  it("answers with that model, whatever the persona's; an unknown model is a 422", { timeout: 60_000 }, async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "schedule.md", "# Schedule\n\nSpin classes run every Monday at 7pm in studio B.\n");
    const unknown = await call("/api/v1/chat", { token: s.access_token, json: { model_id: "claude-9000", model_api_source: "anthropic" } }, withClaude());
    expect(unknown.status).toBe(422);
    const created = await call("/api/v1/chat", { token: s.access_token, json: { model_id: "anthropic:claude-haiku-4-5", title: "Spin" } }, withClaude());
    expect(created.status).toBe(201);
    const chat = (await created.json()) as any;
    expect(chat).toMatchObject({ current_model_id: "claude-haiku-4-5", current_model_api_source: "anthropic" });
    const ask = (conversationId?: string) =>
      call("/api/v1/ai/conversations", { token: s.access_token, json: { message: "When do spin classes run?", ...(conversationId && { conversation_id: conversationId }) } }, withClaude());
    const inChat = (await (await ask(chat.chat_id)).json()) as any;
    expect(inChat.model_used).toBe("claude-haiku-4-5");
    expect(inChat.response).toMatch(/^Claude says: /);
    // Another conversation keeps the default (the persona names no model).
    expect(((await (await ask()).json()) as any).model_used).toBe("local-extractive");
  });
});

describe("a knowledge base's embedding_model", () => {
  it("is honoured when it is the deployment's embedding model (also as provider:id)", async () => {
    const s = await createCreator();
    const a = await call("/api/v1/knowledge-bases", { token: s.access_token, json: { name: "A", settings: { embedding_model: "openai:stub-embed" } } }, openai());
    expect(a.status).toBe(201);
    expect(((await a.json()) as any).settings.embedding_model).toBe("stub-embed");
    const local = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "B", settings: { embedding_model: "local-hash-ngram-2048" } } });
    expect(local.status).toBe(201);
  });

  it("is refused with a 422 when no configured provider serves it, or another provider's vectors would be needed", async () => {
    const s = await createCreator();
    const unknown = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "C", settings: { embedding_model: "nomic-embed-text" } } });
    expect(unknown.status).toBe(422);
    const e = await errorOf(unknown);
    expect(e.message).toMatch(/Unknown embedding model "nomic-embed-text".*local-hash-ngram-2048/);
    expect(e.details).toEqual([{ field: "settings.embedding_model", message: "must be local-hash-ngram-2048" }]);
    // openai serves stub-embed, but this deployment's vectors are local ones.
    const other = await call("/api/v1/knowledge-bases", { token: s.access_token, json: { name: "D", settings: { embedding_model: "stub-embed" } } }, { ...openai(), AI_PROVIDER: "local", AI_PROVIDERS: "openai" });
    expect(other.status).toBe(422);
    expect((await errorOf(other)).message).toMatch(/served by openai, but every knowledge base of this deployment is embedded with "local-hash-ngram-2048"/);
    // Nothing was created.
    const list = (await (await api("/api/v1/knowledge-bases", { token: s.access_token })).json()) as any;
    expect(list.knowledge_bases.map((k: any) => k.name)).not.toContain("C");
    // Update: refused the same way, the stored settings unchanged.
    const kb = await createKb(s.access_token);
    const upd = await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", token: s.access_token, json: { settings: { embedding_model: "text-embedding-3-large" } } });
    expect(upd.status).toBe(422);
    const got = (await (await api(`/api/v1/knowledge-bases/${kb.id}`, { token: s.access_token })).json()) as any;
    expect(got.settings.embedding_model).toBe("local-hash-ngram-2048");
  });
});

describe("AI_PROVIDER=anthropic", () => {
  it("answers grounded questions through the Messages API (vectors stay local: Claude has no embeddings)", { timeout: 60_000 }, async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "schedule.md", "# Schedule\n\nSpin classes run every Monday at 7pm in studio B.\n");
    const vars = { AI_PROVIDER: "anthropic", ANTHROPIC_BASE_URL: inject("anthropicStubUrl"), ANTHROPIC_API_KEY: ANTHROPIC_STUB_KEY };
    const r = (await (await call("/api/v1/ai/conversations", { token: s.access_token, json: { message: "When do spin classes run?" } }, vars)).json()) as any;
    expect(r.model_used).toBe("claude-sonnet-4-5");
    expect(r.response).toBe("Claude says: Spin classes run every Monday at 7pm in studio B. [1]");
    const status = (await (await call("/api/v1/ai/models/status", { token: s.access_token }, { ...vars, ANTHROPIC_API_KEY: "" })).json()) as any;
    expect(status).toMatchObject({ provider: "anthropic", status: "unavailable" });
  });
});
