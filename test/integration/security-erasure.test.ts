// GDPR erasure leaves nothing behind: D1, R2, conversation objects' storage, vectors, Telegram's webhook.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eraseCreator } from "../../src/modules/gdpr/service";
import { ownedTables } from "../../src/db/ownership";
import { api, createCreator } from "../helpers";
import { connectTelegram, connectWhatsApp, eventually, postTelegram, postWhatsApp, sign, stubCalls, telegramUpdate, waText, whatsappNotification } from "../channel-helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";
import { coachingFlow } from "../support/flows";
import "../../src/db/owned-tables";

async function storageTables(conversationId: string): Promise<string[]> {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  return runInDurableObject(stub, (_o, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
      .toArray()
      .map((r) => r.name),
  );
}

async function rowsOf(creatorId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ownedTables()) {
    if (t.keepOnDeletion) continue;
    const n = await env.DB.prepare(`SELECT count(*) AS n FROM ${t.table} WHERE ${t.column} = ?`).bind(creatorId).first<{ n: number }>();
    if (n!.n) out[t.table] = n!.n;
  }
  return out;
}

describe("creator erasure", () => {
  it("erases a creator with widget, Telegram and WhatsApp conversations, documents, programs and open sockets: nothing is left", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const kb = await createKb(s.access_token);
    await uploadAndWait(s.access_token, kb.id, "notes.md", "# Notes\n\nRefunds within 30 days.\n\n## Parking\n\nBehind the studio.");
    expect((await api("/api/v1/programs", { method: "POST", token: s.access_token, json: { name: "Habits", flow_definition: coachingFlow() } })).status).toBe(201);

    // Widget conversation with an open socket and a stored message.
    const widgetKey = await widgetKeyOf(s.access_token);
    const session = await openSession(widgetKey);
    const tab = await connect(session.websocket_url, session.token);
    tab.send({ type: "message", id: crypto.randomUUID(), text: "What about refunds?" });
    await tab.next("ack");

    // Telegram and WhatsApp conversations.
    const tg = await connectTelegram(s);
    expect((await postTelegram(telegramUpdate(9001, { text: "hello from telegram" }), tg.secret)).status).toBe(200);
    const wa = await connectWhatsApp(s);
    await env.DB.prepare("UPDATE channels SET status = 'active' WHERE id = ?").bind(wa.id).run();
    const raw = JSON.stringify(whatsappNotification(waText, wa.phoneNumberId));
    expect((await postWhatsApp(raw, await sign(wa.appSecret, raw))).status).toBe(200);
    const channels = await eventually(async () => {
      const rows = await env.DB.prepare("SELECT DISTINCT channel FROM conversations WHERE creator_id = ?").bind(s.creator.id).raw<[string]>();
      return rows.length >= 3 ? rows.map((r) => r[0]) : undefined;
    }, "three channels' conversations");
    expect(channels.sort()).toEqual(["telegram", "whatsapp", "widget"]);
    const conversationIds = (await env.DB.prepare("SELECT id FROM conversations WHERE creator_id = ?").bind(s.creator.id).raw<[string]>()).map((r) => r[0]);
    for (const id of conversationIds) expect((await storageTables(id)).length, `storage of ${id}`).toBeGreaterThan(0);
    await env.FILES.put(`creators/${s.creator.id}/extra.txt`, "x");
    const otherRowsBefore = await rowsOf(other.creator.id);

    const res = await api("/api/v1/auth/gdpr/data-deletion", { method: "POST", token: s.access_token, json: { password: s.password } });
    expect(res.status).toBe(202);
    // The writers are stopped before the erasure runs: no new widget session.
    expect((await api("/api/v1/channels/sessions", { method: "POST", json: { widget_key: widgetKey } })).status).toBe(404);
    const { request_id } = (await res.json()) as { request_id: string };
    await eventually(async () => {
      const r = (await (await api(`/api/v1/auth/gdpr/data-deletion/${request_id}`)).json()) as { status: string };
      return r.status === "completed";
    }, "erasure", 30_000);

    // The open socket was closed by its object.
    const closed = await eventually(async () => tab.closed ?? undefined, "the widget socket to close");
    expect(closed.code).toBe(4404);
    expect(await rowsOf(s.creator.id)).toEqual({});
    expect((await env.FILES.list({ prefix: `creators/${s.creator.id}/` })).objects).toEqual([]);
    const vectors = await env.DB.prepare("SELECT count(*) AS n FROM chunk_vectors WHERE creator_id = ?").bind(s.creator.id).first<{ n: number }>();
    expect(vectors!.n).toBe(0);
    for (const id of conversationIds) expect(await storageTables(id), `storage of ${id}`).toEqual([]);
    // Telegram was told to stop delivering to us.
    expect(await stubCalls(tg.token, "deleteWebhook")).toHaveLength(1);
    // An update that still comes is refused and writes nothing.
    await postTelegram(telegramUpdate(9002, { text: "late" }), tg.secret);
    expect(await rowsOf(s.creator.id)).toEqual({});
    // Nobody else lost anything.
    expect(await rowsOf(other.creator.id)).toEqual(otherRowsBefore);
  }, 60_000);

  it("a conversation object refuses to erase another creator's conversation", async () => {
    const s = await createCreator();
    const other = await createCreator();
    const session = await openSession(await widgetKeyOf(s.access_token));
    const tab = await connect(session.websocket_url, session.token);
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(session.conversation_id));
    expect(await stub.erase(session.conversation_id, other.creator.id)).toEqual({ erased: false, sockets_closed: 0 });
    expect((await storageTables(session.conversation_id)).length).toBeGreaterThan(0);
    tab.close();
  });

  it("a second run (a queue retry) finds nothing and doesn't fail", async () => {
    const s = await createCreator();
    await eraseCreator(env, s.creator.id, crypto.randomUUID());
    await eraseCreator(env, s.creator.id, crypto.randomUUID());
    expect(await rowsOf(s.creator.id)).toEqual({});
  });
});
