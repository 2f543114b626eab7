// Issue 14 "every model behind one interface": GET /api/v1/model, POST /api/v1/aisuite/chat, the provider
// tests and models/reload, over the OpenAI-compatible and Anthropic stand-ins (test/support/).
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { sseData } from "../../src/ai/providers/sse";
import { ANTHROPIC_STUB_KEY } from "../support/anthropic-stub";
import { call } from "../ai-helpers";
import { api, createCreator, errorOf } from "../helpers";
import { createAgent } from "../realtime";

type Vars = Record<string, string>;
const openai = (): Vars => ({ AI_PROVIDER: "openai", OPENAI_BASE_URL: inject("openaiStubUrl"), OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed" });
const anthropic = (): Vars => ({ ANTHROPIC_BASE_URL: inject("anthropicStubUrl"), ANTHROPIC_API_KEY: ANTHROPIC_STUB_KEY });
const both = (): Vars => ({ ...openai(), ...anthropic(), AI_PROVIDERS: "openai,anthropic" });

const stubLog = async (base: string) => (await (await fetch(`${base.replace(/\/v1$/, "")}/__log`)).json()) as { path: string; body: any; headers?: any }[];

describe("GET /api/v1/model", () => {
  it("lists the models of every configured provider with capabilities, paginated and filtered", async () => {
    const s = await createCreator();
    const res = await call("/api/v1/model?limit=100", { token: s.access_token }, { ...both(), OPENAI_VISION_MODEL: "stub-vision" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const byName = Object.fromEntries(body.models.map((m: any) => [m.name, m]));
    expect(byName["openai:stub-chat"]).toMatchObject({ provider: "openai", capabilities: ["chat"], default_for: ["chat"] });
    expect(byName["openai:stub-embed"].capabilities).toEqual(["embeddings"]);
    expect(byName["openai:stub-vision"].capabilities).toEqual(["chat", "vision"]);
    expect(byName["openai:whisper-1"].capabilities).toEqual(["speech_to_text"]);
    expect(byName["openai:tts-1"].capabilities).toEqual(["text_to_speech"]);
    expect(byName["anthropic:claude-sonnet-4-5"]).toMatchObject({ provider: "anthropic", capabilities: ["chat", "vision"] });
    expect(byName["anthropic:claude-haiku-4-5"]).toBeDefined();
    expect(body.unavailable_providers).toEqual([]);

    const page = (await (await call("/api/v1/model?limit=2&page=2", { token: s.access_token }, both())).json()) as any;
    expect(page.models).toHaveLength(2);
    expect(page.pagination).toMatchObject({ page: 2, limit: 2 });
    expect(page.pagination.pages).toBe(Math.ceil(page.pagination.total / 2));
    const vision = (await (await call("/api/v1/model?capability=vision", { token: s.access_token }, both())).json()) as any;
    expect(vision.models.every((m: any) => m.capabilities.includes("vision"))).toBe(true);
    expect(vision.models.map((m: any) => m.provider)).toContain("anthropic");
  });

  it("local and Workers AI: the configured models; a provider that can't be reached is reported, not fatal", async () => {
    const s = await createCreator();
    const local = (await (await call("/api/v1/model", { token: s.access_token }, { AI_PROVIDER: "local", AI_PROVIDERS: "workers-ai" })).json()) as any;
    const names = local.models.map((m: any) => m.name);
    expect(names).toEqual(expect.arrayContaining(["local:local-extractive", "workers-ai:@cf/meta/llama-3.1-8b-instruct", "workers-ai:@cf/openai/whisper-large-v3-turbo", "workers-ai:@cf/myshell-ai/melotts"]));
    expect(local.models.find((m: any) => m.id === "@cf/meta/llama-3.2-11b-vision-instruct").capabilities).toEqual(["chat", "vision"]);
    const down = await call("/api/v1/model", { token: s.access_token }, { ...openai(), OPENAI_BASE_URL: "http://127.0.0.1:9/internal/v1", ...anthropic(), AI_PROVIDERS: "anthropic" });
    const d = (await down.json()) as any;
    expect(down.status).toBe(200);
    expect(d.unavailable_providers[0].provider).toBe("openai");
    expect(d.models.every((m: any) => m.provider === "anthropic")).toBe(true);
    // An agent sees which provider is down, not its internal address.
    const agent = await createAgent(s.access_token);
    const seen = await call("/api/v1/model", { token: agent.access_token }, { ...openai(), OPENAI_BASE_URL: "http://127.0.0.1:9/internal/v1" });
    expect(await seen.text()).not.toContain("127.0.0.1");
  });

  it("bad query and no credential", async () => {
    const s = await createCreator();
    expect((await call("/api/v1/model?capability=telepathy", { token: s.access_token })).status).toBe(422);
    expect((await call("/api/v1/model?limit=1000", { token: s.access_token })).status).toBe(422);
    expect((await call("/api/v1/model", {})).status).toBe(401);
  });
});

describe("POST /api/v1/aisuite/chat", () => {
  it("routes each model to its provider: OpenAI-compatible by id, Anthropic natively by provider:id", async () => {
    const s = await createCreator();
    const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "How many sets today?" }];
    const o = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-chat", messages, temperature: 0.3, max_tokens: 50 } }, both());
    expect(o.status).toBe(200);
    const ob = (await o.json()) as any;
    expect(ob).toMatchObject({ object: "chat.completion", model: "stub-chat", provider: "openai" });
    expect(ob.choices[0].message.content).toBe("Stub stub-chat heard: How many sets today?");
    const sent = (await stubLog(inject("openaiStubUrl"))).findLast((l) => l.path === "/v1/chat/completions" && l.body.model === "stub-chat")!.body;
    expect(sent).toMatchObject({ temperature: 0.3, max_tokens: 50, stream: true });

    const a = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "anthropic:claude-haiku-4-5", messages } }, both());
    expect(a.status).toBe(200);
    const ab = (await a.json()) as any;
    expect(ab).toMatchObject({ model: "claude-haiku-4-5", provider: "anthropic" });
    expect(ab.choices[0].message.content).toBe("Claude claude-haiku-4-5 heard: How many sets today? (system: Be brief.)");
    const req = (await stubLog(inject("anthropicStubUrl"))).findLast((l) => l.path === "/v1/messages")!;
    expect(req.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req.body).toMatchObject({ model: "claude-haiku-4-5", system: "Be brief.", max_tokens: 1024, stream: true });
    expect(req.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "How many sets today?" }] }]);
  });

  it("streams by SSE (OpenAI chunks and [DONE]) from the Anthropic event stream", async () => {
    const s = await createCreator();
    const res = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Plan my week" }], stream: true } }, both());
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/text\/event-stream/);
    const events: string[] = [];
    for await (const d of sseData(res.body!)) events.push(d);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const text = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
    expect(text).toBe("Claude claude-sonnet-4-5 heard: Plan my week");
    expect(chunks.filter((c) => c.choices[0].delta.content).length).toBeGreaterThan(2);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  it("images go to a vision model as content parts (OpenAI image_url, Anthropic base64 blocks); a text-only model refuses them", async () => {
    const s = await createCreator();
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const messages = [{ role: "user", content: [{ type: "text", text: "What is on my plate?" }, { type: "image_url", image_url: { url: png } }] }];
    const vars = { ...both(), OPENAI_VISION_MODEL: "stub-vision" };
    const o = (await (await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-vision", messages } }, vars)).json()) as any;
    expect(o.choices[0].message.content).toBe("Stub stub-vision heard: What is on my plate? [saw 1 image(s): image/png]");
    const a = (await (await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "anthropic:claude-sonnet-4-5", messages } }, vars)).json()) as any;
    expect(a.choices[0].message.content).toContain("[saw 1 image(s): image/png]");
    const blind = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-chat", messages } }, vars);
    expect(blind.status).toBe(422);
    expect((await errorOf(blind)).message).toMatch(/can't look at images/);
    const big = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-vision", messages } }, { ...vars, AI_IMAGE_MAX_BYTES: "1024", OPENAI_VISION_MODEL: "stub-vision" });
    expect(big.status).toBe(200);
    const huge = `data:image/png;base64,${"A".repeat(4000)}`;
    const tooBig = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-vision", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: huge } }] }] } }, { ...vars, AI_IMAGE_MAX_BYTES: "1024" });
    expect(tooBig.status).toBe(413);
  });

  it("unknown model, a model that can't chat, bad bodies and a failing provider are clear errors", async () => {
    const s = await createCreator();
    const msg = [{ role: "user", content: "hi" }];
    const unknown = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "gpt-9000", messages: msg } }, both());
    expect(unknown.status).toBe(422);
    const e = await errorOf(unknown);
    expect(e.message).toMatch(/Unknown model "gpt-9000".*GET \/api\/v1\/model/);
    expect(e.details).toEqual([{ field: "model", message: "not served by any configured provider" }]);
    // Anthropic's models are unknown while anthropic isn't configured.
    expect((await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "anthropic:claude-sonnet-4-5", messages: msg } }, openai())).status).toBe(422);
    expect((await errorOf(await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-embed", messages: msg } }, both()))).message).toMatch(/can't do chat/);
    for (const bad of [{ model: "stub-chat", messages: [] }, { model: "stub-chat", messages: [{ role: "tool", content: "x" }] }, { model: "stub-chat", messages: msg, temperature: 5 }, { messages: msg }, { model: "stub-chat", messages: msg, extra: 1 }]) {
      expect((await call("/api/v1/aisuite/chat", { token: s.access_token, json: bad }, both())).status).toBe(422);
    }
    const failing = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "FAIL_ANTHROPIC" }] } }, both());
    expect(failing.status).toBe(503);
    expect((await errorOf(failing)).message).toMatch(/answered 529/);
    const noKey = await call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "claude-sonnet-4-5", messages: msg } }, { ...both(), ANTHROPIC_API_KEY: "wrong" });
    expect(noKey.status).toBe(503);
    expect((await errorOf(noKey)).message).toMatch(/answered 401/);
    expect((await call("/api/v1/aisuite/chat", { json: { model: "stub-chat", messages: msg } }, both())).status).toBe(401);
  });

  it("is counted against the creator's AI quota (the plan's ai_messages)", async () => {
    const s = await createCreator();
    const op = await api(`/api/v1/operator/creators/${s.creator.id}/plan`, { method: "PUT", headers: { Authorization: `Bearer ${env.OPERATOR_API_KEY}`, "Content-Type": "application/json" }, body: JSON.stringify({ tier: "free", overrides: { ai_messages: { day: 2 } } }) });
    expect(op.status).toBe(200);
    const ask = () => call("/api/v1/aisuite/chat", { token: s.access_token, json: { model: "stub-chat", messages: [{ role: "user", content: "again" }] } }, both());
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const third = await ask();
    expect(third.status).toBe(429);
    expect((await errorOf(third)).message).toMatch(/ai_messages/);
    const dash = (await (await api("/api/v1/auth/dashboard", { token: s.access_token })).json()) as any;
    expect(dash.usage.ai_messages.day.used).toBe(2);
  });
});

describe("provider tests and reload", () => {
  it("test-chat and test-embedding run the configured provider on the caller's text", async () => {
    const s = await createCreator();
    const chat = await call("/api/v1/ai/ollama/test-chat", { token: s.access_token, json: { message: "ping from the console" } }, openai());
    expect(chat.status).toBe(200);
    expect(await chat.json()).toMatchObject({ status: "ok", provider: "openai", model: "stub-chat", response: "Stub stub-chat heard: ping from the console" });
    const viaClaude = (await (await call("/api/v1/ai/ollama/test-chat", { token: s.access_token, json: { message: "hello", model: "anthropic:claude-haiku-4-5" } }, both())).json()) as any;
    expect(viaClaude.response).toBe("Claude claude-haiku-4-5 heard: hello");
    const emb = (await (await call("/api/v1/ai/ollama/test-embedding", { token: s.access_token, json: { text: "squat depth" } }, openai())).json()) as any;
    expect(emb).toMatchObject({ status: "ok", provider: "openai", model: "stub-embed", dimensions: 16, norm: 1 });
    const local = (await (await call("/api/v1/ai/ollama/test-embedding", { token: s.access_token, json: { text: "squat depth" } }, { AI_PROVIDER: "local" })).json()) as any;
    expect(local).toMatchObject({ provider: "local", dimensions: 2048 });
    expect(local.preview).not.toEqual(emb.preview);
    const down = await call("/api/v1/ai/ollama/test-embedding", { token: s.access_token, json: { text: "FAIL_EMBEDDING" } }, openai());
    expect(down.status).toBe(503);
    expect((await call("/api/v1/ai/ollama/test-chat", { token: s.access_token, json: { message: "" } }, openai())).status).toBe(422);
    expect((await call("/api/v1/ai/ollama/test-chat", { token: s.access_token, json: { message: "x", model: "nope" } }, openai())).status).toBe(422);
  });

  it("models/reload drops the cached model lists: a changed list is seen after reload, not before", async () => {
    const s = await createCreator();
    const tag = `reload-${crypto.randomUUID().slice(0, 8)}`;
    const root = inject("openaiStubUrl").replace(/\/v1$/, "");
    const setModels = (models: string[]) => fetch(`${root}/t/${tag}/__models`, { method: "POST", body: JSON.stringify({ models }) });
    const vars = { ...openai(), OPENAI_BASE_URL: `${root}/t/${tag}/v1` };
    const ids = async () => ((await (await call("/api/v1/model?limit=100", { token: s.access_token }, vars)).json()) as any).models.map((m: any) => m.id);
    await setModels(["stub-chat", "stub-embed", "llama3.2:3b"]);
    expect(await ids()).toContain("llama3.2:3b");
    await setModels(["stub-chat", "stub-embed", "qwen2.5:7b"]);
    const before = await ids();
    expect(before).toContain("llama3.2:3b");
    expect(before).not.toContain("qwen2.5:7b");
    const agent = await createAgent(s.access_token);
    expect((await call("/api/v1/ai/models/reload", { method: "POST", token: agent.access_token }, vars)).status).toBe(403);
    const reload = await call("/api/v1/ai/models/reload", { method: "POST", token: s.access_token }, vars);
    expect(reload.status).toBe(200);
    const r = (await reload.json()) as any;
    expect(r.reloaded).toBe(true);
    expect(r.cache.dropped_lists).toBeGreaterThan(0);
    const after = await ids();
    expect(after).toContain("qwen2.5:7b");
    expect(after).not.toContain("llama3.2:3b");
  });
});
