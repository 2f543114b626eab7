// End users' GDPR rights: DELETE /api/v1/users/{id} erases one visitor everywhere; GET …/export returns it all.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ownedTables } from "../../src/db/ownership";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { eventually } from "../channel-helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";
import { coachingFlow } from "../support/flows";
import "../../src/db/owned-tables";

async function visitorWithHistory() {
  const owner = await createCreator();
  const session = await openSession(await widgetKeyOf(owner.access_token));
  const tab = await connect(session.websocket_url, session.token);
  tab.send({ type: "message", id: crypto.randomUUID(), text: "My name is Ada and my email is ada@example.org" });
  await tab.next("ack");
  const userId = (await env.DB.prepare("SELECT end_user_id FROM conversations WHERE id = ?").bind(session.conversation_id).first<{ end_user_id: string }>())!.end_user_id;
  await eventually(async () => (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ?").bind(session.conversation_id).first<{ n: number }>())!.n > 0, "mirror");
  // An enrolment, a proactive send and a file of the conversation.
  const created = (await (await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name: "Habits", flow_definition: coachingFlow() } })).json()) as { id: string };
  expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token })).status).toBe(200);
  expect((await api(`/api/v1/users/${userId}/programs/${created.id}/enroll`, { method: "POST", token: owner.access_token })).status).toBe(201);
  await env.DB.prepare(
    "INSERT INTO proactive_sends (creator_id, rule_id, end_user_id, occurrence_key, action_index, due_at, created_at) VALUES (?, ?, ?, 'k', 0, ?, ?)",
  )
    .bind(owner.creator.id, crypto.randomUUID(), userId, new Date().toISOString(), new Date().toISOString())
    .run();
  const fileKey = `creators/${owner.creator.id}/conversations/${session.conversation_id}/files/${crypto.randomUUID()}`;
  await env.FILES.put(fileKey, "a photo");
  return { owner, session, tab, userId, fileKey };
}

async function rowsAbout(creatorId: string, userId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ownedTables()) {
    if (!t.endUser) continue;
    const n = await env.DB.prepare(`SELECT count(*) AS n FROM ${t.table} WHERE ${t.column} = ? AND (${t.endUser})`).bind(creatorId, userId).first<{ n: number }>();
    if (n!.n) out[t.table] = n!.n;
  }
  return out;
}

describe("DELETE /api/v1/users/{user_id}", () => {
  it("erases the end user's messages (D1 and the conversation object), enrolments, proactive ledger and files; the socket is closed", async () => {
    const { owner, session, tab, userId, fileKey } = await visitorWithHistory();
    const other = await visitorWithHistory();
    const before = await rowsAbout(owner.creator.id, userId);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["end_users", "conversations", "messages", "program_enrollments", "proactive_sends"]));

    const res = await api(`/api/v1/users/${userId}`, { method: "DELETE", token: owner.access_token });
    expect(res.status).toBe(200);
    expect(await rowsAbout(owner.creator.id, userId)).toEqual({});
    expect(await env.FILES.get(fileKey)).toBeNull();
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(session.conversation_id));
    const tables = await runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").toArray(),
    );
    expect(tables).toEqual([]);
    expect((await eventually(async () => tab.closed ?? undefined, "socket closed")).code).toBe(4404);
    expect((await api(`/api/v1/users/${userId}`, { token: owner.access_token })).status).toBe(404);
    // The other visitor (another creator's) keeps everything.
    expect(Object.keys(await rowsAbout(other.owner.creator.id, other.userId)).length).toBeGreaterThan(3);
    expect(await env.FILES.get(other.fileKey)).not.toBeNull();
  }, 60_000);

  it("is 404 for another creator's end user and 403 for agents, and changes nothing", async () => {
    const { owner, userId } = await visitorWithHistory();
    const stranger = await createCreator();
    const before = await rowsAbout(owner.creator.id, userId);
    const res = await api(`/api/v1/users/${userId}`, { method: "DELETE", token: stranger.access_token });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("RESOURCE_NOT_FOUND");
    expect((await api(`/api/v1/users/${userId}/export`, { token: stranger.access_token })).status).toBe(404);
    const agent = await inviteAndAccept(owner.access_token, "agent");
    expect((await api(`/api/v1/users/${userId}`, { method: "DELETE", token: agent.access_token })).status).toBe(403);
    expect((await api(`/api/v1/users/${userId}/export`, { token: agent.access_token })).status).toBe(403);
    expect(await rowsAbout(owner.creator.id, userId)).toEqual(before);
  }, 60_000);
});

describe("GET /api/v1/users/{user_id}/export", () => {
  it("returns everything held about the end user", async () => {
    const { owner, userId, fileKey } = await visitorWithHistory();
    const res = await api(`/api/v1/users/${userId}/export`, { token: owner.access_token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Record<string, any[]>; files: { key: string }[] };
    expect(body.data.end_users).toHaveLength(1);
    expect(JSON.stringify(body.data.messages)).toContain("ada@example.org");
    expect(body.data.program_enrollments).toHaveLength(1);
    expect(body.data.proactive_sends).toHaveLength(1);
    expect(body.files.map((f) => f.key)).toEqual([fileKey]);
  }, 60_000);
});
