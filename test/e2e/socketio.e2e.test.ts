// Socket.IO clients over a real `wrangler dev`, with the real socket.io-client package: the handshake
// token, rooms that are conversations, the durable ack, the streamed AI reply, another creator's room
// refused, a dropped connection that rejoins and gets what it missed, two members of one creator who
// hear each other join and leave, and a member whose sessions are revoked cut off at once.
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type DevServer } from "../support/wrangler-dev";

let dev: DevServer;
const sockets: Socket[] = [];

const PASSWORD = "Correct-Horse-Battery-9";

async function call(path: string, init: { token?: string; json?: unknown; method?: string } = {}) {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { "Content-Type": "application/json", ...(init.token && { Authorization: `Bearer ${init.token}` }) },
    ...(init.json !== undefined && { body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

async function register(name: string): Promise<string> {
  const res = await call("/api/v1/auth/register", { json: { email: `sio-${name}-${Date.now()}@example.com`, password: PASSWORD, full_name: `Coach ${name}` } });
  expect(res.status).toBe(201);
  return res.body.access_token as string;
}

/** A second member of the owner's creator: invited, the token read from the logged mail (MAIL_PROVIDER=log), accepted. */
async function inviteMember(ownerToken: string, fullName: string): Promise<{ token: string; memberId: string }> {
  const email = `sio-member-${Date.now()}@example.com`;
  const invited = await call("/api/v1/team/members", { token: ownerToken, json: { email, full_name: fullName, role: "agent" } });
  expect(invited.status).toBe(201);
  let invitation: string | undefined;
  for (let i = 0; i < 40 && !invitation; i++) {
    const line = dev.output().split("\n").find((l) => l.includes(email) && l.includes("Invitation token"));
    invitation = line ? /Invitation token: ([A-Za-z0-9_-]+)/.exec(line)?.[1] : undefined;
    if (!invitation) await new Promise((r) => setTimeout(r, 250));
  }
  if (!invitation) throw new Error("invitation mail not found in the wrangler dev log");
  const accepted = await call("/api/v1/auth/invitations/accept", { json: { token: invitation, password: PASSWORD } });
  expect(accepted.status).toBe(200);
  return { token: accepted.body.access_token as string, memberId: accepted.body.creator.member.id as string };
}

function connect(token: string | undefined): Socket {
  const s = io(`${dev.url}/assistant/realtime`, { path: "/socket.io", transports: ["websocket"], auth: token === undefined ? {} : { token }, reconnection: false, forceNew: true });
  sockets.push(s);
  return s;
}

const connected = (s: Socket) =>
  new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", (e) => reject(e));
  });

/** Every event of a socket, in order, to wait on. */
function recorder(s: Socket) {
  const events: { event: string; payload: any }[] = [];
  s.onAny((event, payload) => events.push({ event, payload }));
  return {
    events,
    async until<T>(pick: (all: typeof events) => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = pick(events);
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events).slice(0, 2000)}\n${dev.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

beforeAll(async () => {
  // logLevel "log": the invitation mail of the second member is read from the Worker's log.
  dev = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false" }, logLevel: "log" });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await dev?.stop();
});

describe("Socket.IO /socket.io, namespace /assistant/realtime", () => {
  it("refuses a missing or bad token with connect_error", async () => {
    const none = connect(undefined);
    await expect(connected(none)).rejects.toMatchObject({ message: expect.stringMatching(/token/i) });
    const bad = connect("not-a-token");
    const err = await connected(bad).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.data).toMatchObject({ code: "AUTHENTICATION_REQUIRED" });
  });

  it("creates a room, acks a message once it is stored, streams and delivers the AI reply; another creator's room is an error; a dropped connection rejoins and gets what it missed", async () => {
    const tokenA = await register("a");
    const a = connect(tokenA);
    await connected(a);
    const rec = recorder(a);

    const created = await a.timeout(10_000).emitWithAck("create_room", { title: "Training questions" });
    expect(created).toMatchObject({ room_id: expect.any(String), seq: 0 });
    const roomId = created.room_id as string;
    await rec.until((e) => e.find((x) => x.event === "room_created" && x.payload.room_id === roomId), "room_created");

    const ack = await a.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "How many rest days should I take each week?", client_id: "c-1" });
    expect(ack).toMatchObject({ room_id: roomId, client_id: "c-1", seq: 1, status: "stored" });
    const aiMessage = await rec.until((e) => e.find((x) => x.event === "message_received" && x.payload.sender === "ai"), "the AI reply");
    expect(aiMessage.payload).toMatchObject({ room_id: roomId, role: "assistant", seq: 2, content: expect.any(String) });
    expect(aiMessage.payload.content.length).toBeGreaterThan(0);
    const own = rec.events.find((x) => x.event === "message_received" && x.payload.sender === "user");
    expect(own?.payload).toMatchObject({ seq: 1, client_id: "c-1", content: "How many rest days should I take each week?" });
    // Streamed before the final message: the deltas add up to its text.
    const deltas = rec.events.filter((x) => x.event === "message_delta" && x.payload.message_id === aiMessage.payload.message_id).map((x) => x.payload.delta).join("");
    expect(deltas).toBe(aiMessage.payload.content);

    // The same client id again: acknowledged again, stored once.
    const again = await a.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "How many rest days should I take each week?", client_id: "c-1" });
    expect(again).toMatchObject({ seq: 1 });

    // Another creator can't reach the room.
    const b = connect(await register("b"));
    await connected(b);
    const recB = recorder(b);
    const refused = await b.timeout(10_000).emitWithAck("join_room", { room_id: roomId });
    expect(refused).toMatchObject({ error: { code: "RESOURCE_NOT_FOUND" } });
    await recB.until((e) => e.find((x) => x.event === "error" && x.payload.code === "RESOURCE_NOT_FOUND"), "the error event");
    const notJoined = await b.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "let me in" });
    expect(notJoined.error.code).toBe("RESOURCE_NOT_FOUND");

    // Drop A's connection; meanwhile a second connection of A writes in the room.
    const lastSeq = aiMessage.payload.seq as number;
    a.disconnect();
    const a2 = connect(tokenA);
    await connected(a2);
    const rec2 = recorder(a2);
    expect(await a2.timeout(10_000).emitWithAck("join_room", { room_id: roomId })).toMatchObject({ room_id: roomId, seq: lastSeq });
    await a2.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "And what should I eat after a workout?", client_id: "c-2" });
    await rec2.until((e) => e.filter((x) => x.event === "message_received" && x.payload.sender === "ai").length >= 1, "the second AI reply");

    // A comes back and rejoins after the last seq it saw: the missed messages arrive, in order.
    const back = connect(tokenA);
    await connected(back);
    const recBack = recorder(back);
    const rejoined = await back.timeout(10_000).emitWithAck("join_room", { room_id: roomId, after_seq: lastSeq });
    expect(rejoined.seq).toBe(lastSeq + 2);
    const missed = await recBack.until((e) => {
      const got = e.filter((x) => x.event === "message_received");
      return got.length >= 2 ? got : undefined;
    }, "the missed messages");
    expect(missed.map((m) => [m.payload.seq, m.payload.sender])).toEqual([[lastSeq + 1, "user"], [lastSeq + 2, "ai"]]);
    expect(missed[0]!.payload.content).toBe("And what should I eat after a workout?");

    // Leaving: acknowledged; a send afterwards needs a join.
    expect(await back.timeout(10_000).emitWithAck("leave_room", { room_id: roomId })).toMatchObject({ room_id: roomId });
    expect((await back.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "hi" })).error.code).toBe("RESOURCE_NOT_FOUND");

    // The room is an ordinary conversation of A (channel api), readable over REST.
    const res = await fetch(`${dev.url}/api/v1/conversations/${roomId}/messages`, { headers: { Authorization: `Bearer ${tokenA}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const list = body.messages ?? body.data ?? body;
    expect(Array.isArray(list) ? list.length : 0).toBeGreaterThanOrEqual(4);
  });

  it("two members of one creator in a room hear each other join and leave (never their own join); a member whose sessions are revoked is cut off at once and can't come back with the old token", async () => {
    const ownerToken = await register("owner");
    const member = await inviteMember(ownerToken, "Sam Member");
    const sam = { id: member.memberId, name: "Sam Member", role: "user" };
    const a = connect(ownerToken);
    await connected(a);
    const recA = recorder(a);
    const roomId = ((await a.timeout(10_000).emitWithAck("create_room", { title: "Shared" })) as { room_id: string }).room_id;
    type Events = ReturnType<typeof recorder>["events"];
    const joins = (e: Events) => e.filter((x) => x.event === "user_joined").map((x) => x.payload);
    // Another member's leaving (a client's own leave_room ack event has no reason).
    const leaves = (e: Events) => e.filter((x) => x.event === "user_left" && x.payload.reason).map((x) => x.payload);

    // B joins: A hears it with B's id and name; B hears no join of its own.
    const b = connect(member.token);
    await connected(b);
    const recB = recorder(b);
    expect(await b.timeout(10_000).emitWithAck("join_room", { room_id: roomId })).toMatchObject({ room_id: roomId });
    expect((await recA.until((e) => e.find((x) => x.event === "user_joined"), "user_joined for B")).payload).toEqual({ room_id: roomId, user: sam });
    // Something said after the join reaches B, so a join frame meant for B would have arrived by then.
    await a.timeout(10_000).emitWithAck("send_message", { room_id: roomId, message: "Welcome, Sam", client_id: "w-1" });
    await recB.until((e) => e.find((x) => x.event === "message_received" && x.payload.content === "Welcome, Sam"), "A's message at B");
    expect(joins(recB.events)).toEqual([]);

    // B leaves the room: A hears "left".
    expect(await b.timeout(10_000).emitWithAck("leave_room", { room_id: roomId })).toMatchObject({ room_id: roomId });
    expect(await recA.until((e) => leaves(e)[0], "user_left (left)")).toEqual({ room_id: roomId, user: sam, reason: "left" });

    // B comes back, then disconnects (socket.disconnect(), the spec's `disconnect`): A hears "disconnected".
    await b.timeout(10_000).emitWithAck("join_room", { room_id: roomId });
    await recA.until((e) => (joins(e).length === 2 ? true : undefined), "the second user_joined");
    b.disconnect();
    expect(await recA.until((e) => leaves(e)[1], "user_left (disconnected)")).toEqual({ room_id: roomId, user: sam, reason: "disconnected" });

    // A new connection of B in the room; then B signs out (its login session is revoked).
    const b2 = connect(member.token);
    await connected(b2);
    const recB2 = recorder(b2);
    await b2.timeout(10_000).emitWithAck("join_room", { room_id: roomId });
    await recA.until((e) => (joins(e).length === 3 ? true : undefined), "the third user_joined");
    const dropped = new Promise<{ reason: string; at: number }>((resolve) => b2.once("disconnect", (reason) => resolve({ reason, at: Date.now() })));
    const revokedAt = Date.now();
    expect((await call("/api/v1/auth/logout", { token: member.token, json: {} })).status).toBeLessThan(300);
    // At once, not at the next ping (25 s): 10 s is a correctness bound, not a speed target.
    const cut = await Promise.race([dropped, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    expect(cut, "B's client was not disconnected within 10 s of the logout").toBeDefined();
    expect(cut!.at - revokedAt).toBeLessThan(10_000);
    // The server ended the session (its DISCONNECT packet), after telling why.
    expect(cut!.reason).toBe("io server disconnect");
    expect(recB2.events).toContainEqual({ event: "error", payload: expect.objectContaining({ code: "AUTHENTICATION_REQUIRED" }) });
    expect(await recA.until((e) => leaves(e)[2], "user_left (revoked)")).toEqual({ room_id: roomId, user: sam, reason: "revoked" });

    // The old token opens no new session.
    const again = connect(member.token);
    const refused = await connected(again).catch((e) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(refused.data).toMatchObject({ code: "AUTHENTICATION_REQUIRED" });
  });
});
