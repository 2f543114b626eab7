// Chat management of ai-chat-app-api.md over our conversations (issue 14): create naming a model,
// list, read with files, messages with their files, and delete — which leaves nothing of the
// conversation in D1, R2 or its Durable Object. Files also go with their end user and creator.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eraseCreator } from "../../src/modules/gdpr/service";
import { eventually } from "../channel-helpers";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent } from "../realtime";
import { uploadOne } from "../files-helpers";

async function objectRows(conversationId: string): Promise<number> {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  return runInDurableObject(stub, (_o, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
      .toArray()
      .map((r) => r.name);
    return tables.reduce((n, t) => n + sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).one().n, 0);
  });
}

async function d1RowsAbout(conversationId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [table, column] of [
    ["conversations", "id"],
    ["messages", "conversation_id"],
    ["conversation_files", "conversation_id"],
    ["conversation_presence", "conversation_id"],
    ["widget_sessions", "conversation_id"],
    ["conversation_analytics", "conversation_id"],
  ] as const) {
    const r = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).bind(conversationId).first<{ n: number }>();
    if (r!.n) out[table] = r!.n;
  }
  return out;
}

const r2Count = async (prefix: string) => (await env.FILES.list({ prefix })).objects.length;

/** A widget conversation with a message carrying a file, mirrored to D1. */
async function chatWithFile() {
  const setup = await chatSetup();
  const file = await uploadOne(setup.session.conversation_id, setup.session.token, "meal.png");
  setup.tab.send({ type: "message", id: "m1", text: "my lunch", attachments: [file.id] });
  await setup.tab.next((f) => f.type === "ack" && f.id === "m1");
  await setup.tab.aiReply();
  await eventually(async () => (await d1RowsAbout(setup.session.conversation_id)).messages === 2, "the mirror");
  return { ...setup, file };
}

describe("POST /api/v1/chat", () => {
  it("creates a chat on the api channel with the configured chat model by default or by name", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: {} });
    expect(res.status).toBe(201);
    const chat = (await res.json()) as { chat_id: string; channel: string; current_model_id: string; current_model_api_source: string; files: unknown[] };
    expect(chat).toMatchObject({ channel: "api", current_model_id: "local-extractive", current_model_api_source: "local", files: [] });
    const named = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: { model_id: "local:local-extractive", title: "Meal plan" } });
    expect(named.status).toBe(201);
    const body = (await named.json()) as { chat_id: string; title: string };
    expect(body.title).toBe("Meal plan");
    const row = await env.DB.prepare("SELECT metadata FROM conversations WHERE id = ?").bind(body.chat_id).first<{ metadata: string }>();
    expect(JSON.parse(row!.metadata)).toMatchObject({ model_id: "local-extractive", model_api_source: "local" });
  });

  it("refuses a model or provider that isn't configured (422 naming what is), and another creator's knowledge base (404)", async () => {
    const s = await createCreator();
    const wrongModel = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: { model_id: "gpt-4", model_api_source: "openai" } });
    expect(wrongModel.status).toBe(422);
    const err = await errorOf(wrongModel);
    expect(err.details[0]).toMatchObject({ field: "model_id" });
    expect(err.details[0]!.message).toContain("local:local-extractive");
    const wrongSource = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: { model_api_source: "anthropic" } });
    expect(wrongSource.status).toBe(422);
    const other = await createCreator();
    const kb = await api("/api/v1/knowledge-bases", { method: "POST", token: other.access_token, json: { name: "Theirs" } });
    const kbId = ((await kb.json()) as { id: string }).id;
    const foreignKb = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: { knowledge_base_id: kbId } });
    expect(foreignKb.status).toBe(404);
    const unknownField = await api("/api/v1/chat", { method: "POST", token: s.access_token, json: { creator_id: other.creator.id } });
    expect(unknownField.status).toBe(422);
    const listed = await api("/api/v1/chat", { token: s.access_token });
    expect(((await listed.json()) as { chats: unknown[] }).chats).toEqual([]);
  });
});

describe("GET /api/v1/chat, /{chat_id}, /{chat_id}/messages", () => {
  it("lists the creator's conversations as chats, one with its files, its messages with their files", async () => {
    const { creator, session, file, tab } = await chatWithFile();
    const list = (await (await api("/api/v1/chat", { token: creator.access_token })).json()) as { chats: { chat_id: string }[]; pagination: { total: number } };
    expect(list.chats.map((c) => c.chat_id)).toEqual([session.conversation_id]);
    expect(list.pagination.total).toBe(1);
    const one = (await (await api(`/api/v1/chat/${session.conversation_id}`, { token: creator.access_token })).json()) as { channel: string; files: { id: string }[] };
    expect(one.channel).toBe("widget");
    expect(one.files.map((f) => f.id)).toEqual([file.id]);
    const msgs = (await (await api(`/api/v1/chat/${session.conversation_id}/messages`, { token: creator.access_token })).json()) as {
      messages: { role: string; content: string; files: string[]; attachments: { download_url: string }[] }[];
    };
    expect(msgs.messages[0]).toMatchObject({ role: "user", content: "my lunch", files: [file.id] });
    expect(msgs.messages[0]!.attachments[0]!.download_url).toBe(file.download_url);
    tab.close();
  });

  it("another creator's chat is 404 everywhere", async () => {
    const { session, tab } = await chatWithFile();
    const other = await createCreator();
    for (const path of [`/api/v1/chat/${session.conversation_id}`, `/api/v1/chat/${session.conversation_id}/messages`, `/api/v1/chat/${session.conversation_id}/files`]) {
      expect((await api(path, { token: other.access_token })).status).toBe(404);
    }
    expect((await api(`/api/v1/chat/${session.conversation_id}`, { method: "DELETE", token: other.access_token })).status).toBe(404);
    expect(await d1RowsAbout(session.conversation_id)).toMatchObject({ conversations: 1, conversation_files: 1 });
    tab.close();
  });
});

describe("DELETE /api/v1/chat/{chat_id}", () => {
  it("deletes the messages, files and the object's storage; the open socket is closed and the visitor's token stops working", async () => {
    const { creator, session, file, tab } = await chatWithFile();
    const prefix = `creators/${creator.creator.id}/conversations/${session.conversation_id}/`;
    expect(await r2Count(prefix)).toBe(1);
    expect(await objectRows(session.conversation_id)).toBeGreaterThan(0);

    const res = await api(`/api/v1/chat/${session.conversation_id}`, { method: "DELETE", token: creator.access_token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ chat_id: session.conversation_id, deleted: true, messages: 2, files: 1, conversation_object: true });
    expect(await d1RowsAbout(session.conversation_id)).toEqual({});
    expect(await r2Count(prefix)).toBe(0);
    expect(await objectRows(session.conversation_id)).toBe(0);
    expect((await eventually(async () => tab.closed ?? undefined, "socket closed")).code).toBe(4404);
    expect((await api(file.download_url, { token: creator.access_token })).status).toBe(404);
    expect((await api(`/api/v1/conversations/${session.conversation_id}/files`, { token: session.token })).status).toBe(401);
    expect((await api(`/api/v1/chat/${session.conversation_id}`, { token: creator.access_token })).status).toBe(404);
  });

  it("is refused to agents (they may chat, not delete)", async () => {
    const { creator, session, tab } = await chatWithFile();
    const agent = await createAgent(creator.access_token);
    expect((await api(`/api/v1/chat/${session.conversation_id}`, { method: "DELETE", token: agent.access_token })).status).toBe(403);
    expect(await d1RowsAbout(session.conversation_id)).toMatchObject({ conversations: 1, messages: 2, conversation_files: 1 });
    tab.close();
  });
});

describe("erasure and export of conversation files", () => {
  it("DELETE /api/v1/users/{id} takes the end user's files (rows and R2); their export listed them", async () => {
    const { creator, session, file, tab } = await chatWithFile();
    // A member's file in the visitor's conversation is about them too.
    const agentFile = await uploadOne(session.conversation_id, creator.access_token, "reply.png");
    const userId = (await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>())!.end_user_id;
    const exported = (await (await api(`/api/v1/users/${userId}/export`, { token: creator.access_token })).json()) as {
      data: { conversation_files: { id: string }[] };
      files: { key: string }[];
    };
    expect(exported.data.conversation_files.map((f) => f.id).sort()).toEqual([file.id, agentFile.id].sort());
    expect(exported.files).toHaveLength(2);
    const res = await api(`/api/v1/users/${userId}`, { method: "DELETE", token: creator.access_token });
    expect(res.status).toBe(200);
    expect(await d1RowsAbout(session.conversation_id)).toEqual({});
    expect(await r2Count(`creators/${creator.creator.id}/`)).toBe(0);
    tab.close();
  }, 60_000);

  it("the creator's export lists conversation files and the creator's erasure removes them", async () => {
    const { creator, session, file, tab } = await chatWithFile();
    const exported = (await (await api("/api/v1/auth/gdpr/data-export", { token: creator.access_token })).json()) as {
      data: { conversation_files: { id: string }[] };
      files: { key: string }[];
    };
    expect(exported.data.conversation_files.map((f) => f.id)).toEqual([file.id]);
    expect(exported.files.map((f) => f.key)).toEqual([`creators/${creator.creator.id}/conversations/${session.conversation_id}/files/${file.id}`]);
    tab.close();
    await eraseCreator(env, creator.creator.id, crypto.randomUUID());
    expect(await d1RowsAbout(session.conversation_id)).toEqual({});
    expect(await r2Count(`creators/${creator.creator.id}/`)).toBe(0);
  }, 60_000);
});
