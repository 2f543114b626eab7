// Notifications and the live inbox: an agent's inbox socket sees a handover the moment it happens,
// resumes by seq without missing events, notifications list/mark-read per member, the handover mail
// when nobody is in the inbox, bad input and tenancy.
import { describe, expect, it, vi } from "vitest";
import { eventually } from "../channel-helpers";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { connect, openSession, SocketClient, widgetKeyOf } from "../realtime";

/** The inbox socket, resuming after a seq. */
async function resumeInbox(token: string, afterSeq: number): Promise<SocketClient> {
  const res = await api(`/api/v1/inbox/connect?token=${encodeURIComponent(token)}&after_seq=${afterSeq}`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const client = new SocketClient(res.webSocket!);
  await client.next("connection_established");
  return client;
}

type Json = Record<string, any>;

async function notificationsOf(token: string, query = ""): Promise<{ notifications: Json[]; unread_count: number }> {
  const res = await api(`/api/v1/notifications${query}`, { token });
  expect(res.status).toBe(200);
  return (await res.json()) as { notifications: Json[]; unread_count: number };
}

describe("live inbox", () => {
  it("an agent's inbox socket sees the new conversation, its messages and the handover, with a notification", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const inbox = await connect("/api/v1/inbox/connect", agent.access_token);
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const tab = await connect(session.websocket_url, session.token);
    await tab.say("q1", "I want to talk to a human please");

    const created = await inbox.next((f) => f.type === "event" && f.event === "conversation.created", { what: "conversation.created" });
    expect(created.data).toMatchObject({ conversation_id: session.conversation_id, channel: "widget" });
    const message = await inbox.next((f) => f.type === "event" && f.event === "message.created" && f.data.sender === "user", { what: "message" });
    expect(message.data).toMatchObject({ conversation_id: session.conversation_id, preview: "I want to talk to a human please" });
    expect(message.data).not.toHaveProperty("text");
    const waiting = await inbox.next((f) => f.type === "event" && f.event === "conversation.status_changed" && f.data.status === "waiting_human", { what: "handover" });
    expect(waiting.data).toMatchObject({ conversation_id: session.conversation_id, previous_status: "active" });
    const note = await inbox.next((f) => f.type === "event" && f.event === "notification", { what: "notification" });
    expect(note.data).toMatchObject({ kind: "handover", read: false, data: { conversation_id: session.conversation_id } });
    // Seqs only grow.
    const seqs = inbox.frames.filter((f) => f.type === "event").map((f) => f.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    const list = await notificationsOf(agent.access_token);
    expect(list.unread_count).toBe(1);
    expect(list.notifications[0]).toMatchObject({ id: note.data.id, kind: "handover" });
    // The owner has their own copy with its own read state.
    expect((await notificationsOf(owner.access_token)).unread_count).toBe(1);
    inbox.close();
    tab.close();
  });

  it("resumes after a reconnect with every event after the last seq seen, in order", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const session = await openSession(await widgetKeyOf(owner.access_token));
    const tab = await connect(session.websocket_url, session.token);
    const first = await connect("/api/v1/inbox/connect", owner.access_token);
    await tab.say("m1", "first question");
    const seen = await first.next((f) => f.type === "event" && f.event === "message.created" && f.data.preview === "first question", { what: "m1" });
    first.close();
    await tab.say("m2", "second question");
    await tab.say("m3", "third question");
    await tab.aiReply();
    // Wait until the missed messages are in the stream, then resume from the last seq seen.
    const probe = await connect("/api/v1/inbox/connect", owner.access_token);
    await probe.next((f) => f.type === "event" && f.event === "message.created" && f.data.preview === "third question", { what: "m3 live" }).catch(() => undefined);
    probe.close();
    const again = await resumeInbox(owner.access_token, seen.seq as number);
    await again.next("resumed");
    const replayed = again.frames.filter((f) => f.type === "event");
    expect(replayed.every((f) => (f.seq as number) > (seen.seq as number))).toBe(true);
    const previews = replayed.filter((f) => f.event === "message.created" && f.data.sender === "user").map((f) => f.data.preview);
    expect(previews).toEqual(["second question", "third question"]);
    // The resume frame works on an open socket too.
    again.send({ type: "resume", after_seq: 0 });
    await again.next((f) => f.type === "event" && f.data.preview === "first question", { what: "replay from 0" });
    again.send({ type: "bogus" });
    expect(await again.next("error")).toMatchObject({ code: "invalid_frame" });
    again.close();
    tab.close();
  });

  it("mails the agents about a handover only when nobody is in the inbox", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const widgetKey = await widgetKeyOf(owner.access_token);
    const mails = () => logged.filter((l) => l.includes("mail.sent") && l.includes(agent.email) && l.includes("waiting for a human"));
    const logged: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void logged.push(String(line)));
    try {
      const lonely = await openSession(widgetKey);
      const tab = await connect(lonely.websocket_url, lonely.token);
      tab.send({ type: "handover_request" });
      await eventually(async () => mails().length > 0, "handover mail");
      tab.close();

      const inbox = await connect("/api/v1/inbox/connect", agent.access_token);
      const watched = await openSession(widgetKey);
      const tab2 = await connect(watched.websocket_url, watched.token);
      tab2.send({ type: "handover_request" });
      await inbox.next((f) => f.type === "event" && f.event === "notification" && f.data.data.conversation_id === watched.conversation_id, { what: "second handover" });
      expect(mails()).toHaveLength(1);
      inbox.close();
      tab2.close();
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses a connect without an upgrade, a token or a valid token", async () => {
    const owner = await createCreator();
    expect((await api(`/api/v1/inbox/connect?token=${owner.access_token}`)).status).toBe(400);
    expect((await api("/api/v1/inbox/connect", { headers: { Upgrade: "websocket" } })).status).toBe(401);
    expect((await api("/api/v1/inbox/connect?token=nope", { headers: { Upgrade: "websocket" } })).status).toBe(401);
    expect((await api("/api/v1/inbox/connect?token=x&after_seq=-1", { headers: { Upgrade: "websocket" } })).status).toBe(422);
  });
});

describe("notifications", () => {
  it("mark-read by ids or all; other members' ids mark nothing; bad bodies are 422", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const widgetKey = await widgetKeyOf(owner.access_token);
    for (let i = 0; i < 3; i++) {
      const s = await openSession(widgetKey);
      const tab = await connect(s.websocket_url, s.token);
      tab.send({ type: "handover_request" });
      await tab.next("handover_initiated");
      tab.close();
    }
    const list = await eventually(async () => {
      const l = await notificationsOf(owner.access_token);
      return l.unread_count === 3 && l;
    }, "three notifications");
    const limited = await notificationsOf(owner.access_token, "?limit=2");
    expect(limited.notifications).toHaveLength(2);
    expect(limited.unread_count).toBe(3);

    const other = await createCreator();
    const foreign = await api("/api/v1/notifications/mark-read", { method: "POST", token: other.access_token, json: { ids: [list.notifications[0]!.id] } });
    expect(await foreign.json()).toEqual({ marked: 0, unread_count: 0 });

    const one = await api("/api/v1/notifications/mark-read", { method: "POST", token: owner.access_token, json: { ids: [list.notifications[0]!.id] } });
    expect(await one.json()).toEqual({ marked: 1, unread_count: 2 });
    const unread = await notificationsOf(owner.access_token, "?unread_only=true");
    expect(unread.notifications.map((n) => n.id)).not.toContain(list.notifications[0]!.id);
    expect(unread.notifications).toHaveLength(2);
    const all = await api("/api/v1/notifications/mark-read", { method: "POST", token: owner.access_token, json: { all: true } });
    expect(await all.json()).toEqual({ marked: 2, unread_count: 0 });

    for (const json of [{}, { ids: [] }, { ids: ["not-a-uuid"] }, { all: false }, { ids: [crypto.randomUUID()], all: true }]) {
      const res = await api("/api/v1/notifications/mark-read", { method: "POST", token: owner.access_token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    for (const q of ["?limit=0", "?limit=101", "?unread_only=maybe"]) expect((await api(`/api/v1/notifications${q}`, { token: owner.access_token })).status, q).toBe(422);
    expect((await api("/api/v1/notifications")).status).toBe(401);
  });

  it("a document that fails processing notifies the owner, not the agents", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const agent = await inviteAndAccept(owner.access_token, "agent");
    const kb = await createKb(owner.access_token);
    const bad = await uploadAndWait(owner.access_token, kb.id, "broken.pdf", "%PDF-1.4\nthis is not really a pdf at all\n%%EOF");
    expect(bad.processing_status).toBe("failed");
    const list = await eventually(async () => {
      const l = await notificationsOf(owner.access_token);
      return l.notifications.length > 0 && l;
    }, "document_failed notification");
    expect(list.notifications[0]).toMatchObject({ kind: "document_failed", data: { document_id: bad.id } });
    expect((await notificationsOf(agent.access_token)).notifications).toEqual([]);
  });
});
