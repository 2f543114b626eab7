// Socket.IO inside workerd: the real Worker's /socket.io WebSocket, spoken with the same maintained
// parsers a socket.io-client uses (engine.io-parser, socket.io-parser). The full client package runs
// against wrangler dev in test/e2e/socketio.e2e.test.ts.
import { env } from "cloudflare:workers";
import { decodePacket, encodePacket } from "engine.io-parser";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { describe, expect, it, vi } from "vitest";
import { createEmailChannel, processRaw, rawEmail } from "../email-helpers";
import { conversationStub, REVOKED_CLOSE_CODE } from "../../src/realtime";
import { api, createCreator, errorOf } from "../helpers";
import { connect as connectSocket, createAgent } from "../realtime";

vi.setConfig({ testTimeout: 30_000 });
const NSP = "/assistant/realtime";

class SioClient {
  readonly packets: Packet[] = [];
  open: any;
  private readonly decoder = new Decoder();
  private readonly encoder = new Encoder();
  private ackId = 0;
  closed = false;
  closeCode: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    this.decoder.on("decoded", (p: Packet) => this.packets.push(p));
    ws.addEventListener("message", (e) => {
      const p = decodePacket(e.data as string);
      if (p.type === "open") this.open = JSON.parse(p.data as string);
      else if (p.type === "ping") this.eio("3");
      else if (p.type === "message") this.decoder.add(p.data);
    });
    ws.addEventListener("close", (e) => {
      this.closed = true;
      this.closeCode = e.code;
    });
  }

  private eio(raw: string) {
    this.ws.send(raw);
  }

  sio(packet: Packet) {
    for (const s of this.encoder.encode(packet)) encodePacket({ type: "message", data: s }, false, (enc) => this.ws.send(enc as string));
  }

  emit(event: string, payload: unknown): number {
    const id = ++this.ackId;
    this.sio({ type: PacketType.EVENT, nsp: NSP, id, data: [event, payload] });
    return id;
  }

  async next(pick: (p: Packet) => boolean, what: string): Promise<Packet> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = this.packets.find(pick);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.packets)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  ack(id: number) {
    return this.next((p) => p.type === PacketType.ACK && p.id === id, `ack ${id}`).then((p) => p.data[0]);
  }

  event(name: string, match: (payload: any) => boolean = () => true) {
    return this.next((p) => p.type === PacketType.EVENT && p.data[0] === name && match(p.data[1]), name).then((p) => p.data[1]);
  }

  /** Every payload of one event received so far. */
  events(name: string): any[] {
    return this.packets.filter((p) => p.type === PacketType.EVENT && p.data[0] === name).map((p) => p.data[1]);
  }

  async closedWithin(ms: number): Promise<number | undefined> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return this.closeCode;
  }

  close() {
    try {
      this.ws.close(1000, "bye");
    } catch {
      /* closed */
    }
  }
}

/** Joined to the room, once the room's object has reported its sockets to D1 (where a revocation finds them). */
async function joined(c: SioClient, roomId: string) {
  const ack = await c.ack(c.emit("join_room", { room_id: roomId }));
  expect(ack).toMatchObject({ room_id: roomId });
  await conversationStub(env, roomId).flushOutbox();
  return ack;
}

/** Settles in-flight frames: a frame that was going to arrive has arrived. */
const settle = () => new Promise((r) => setTimeout(r, 300));

async function open(path = "/socket.io/?EIO=4&transport=websocket"): Promise<SioClient> {
  const res = await api(path, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  return new SioClient(res.webSocket!);
}

async function connected(token?: string) {
  const c = await open();
  c.sio({ type: PacketType.CONNECT, nsp: NSP, data: token === undefined ? {} : { token } });
  const answer = await c.next((p) => p.type === PacketType.CONNECT || p.type === PacketType.CONNECT_ERROR, "connect");
  return { c, answer };
}

describe("GET /socket.io/ (Socket.IO v5 over WebSocket)", () => {
  it("opens with Engine.IO's open packet, and refuses long-polling and other protocol versions", async () => {
    const c = await open();
    await vi.waitFor(() => expect(c.open).toBeDefined());
    expect(c.open).toMatchObject({ sid: expect.any(String), upgrades: [], pingInterval: 25_000, pingTimeout: 20_000, maxPayload: 1_000_000 });
    const polling = await api("/socket.io/?EIO=4&transport=polling");
    expect(polling.status).toBe(400);
    expect((await errorOf(polling)).message).toMatch(/websocket/);
    expect((await api("/socket.io/?EIO=3&transport=websocket", { headers: { Upgrade: "websocket" } })).status).toBe(400);
  });

  it("answers a missing, bad or revoked token with CONNECT_ERROR, and a good one with CONNECT", async () => {
    expect((await connected()).answer).toMatchObject({ type: PacketType.CONNECT_ERROR, data: { data: { code: "AUTHENTICATION_REQUIRED" } } });
    expect((await connected("garbage")).answer).toMatchObject({ type: PacketType.CONNECT_ERROR, data: { message: expect.any(String) } });
    const s = await createCreator();
    expect((await connected(s.access_token)).answer).toMatchObject({ type: PacketType.CONNECT, nsp: NSP, data: { sid: expect.any(String) } });
    await api("/api/v1/auth/logout", { method: "POST", token: s.access_token, json: { refresh_token: s.refresh_token } });
    expect((await connected(s.access_token)).answer.type).toBe(PacketType.CONNECT_ERROR);
    const wrongNsp = await open();
    wrongNsp.sio({ type: PacketType.CONNECT, nsp: "/elsewhere", data: { token: "x" } });
    expect((await wrongNsp.next((p) => p.type === PacketType.CONNECT_ERROR, "nsp error")).data.message).toBe("Invalid namespace");
  });

  it("a member who signs out is cut off: the next event gets an error and the connection closes (4401)", async () => {
    const s = await createCreator();
    const { c } = await connected(s.access_token);
    const created = await c.ack(c.emit("create_room", { title: "Before" }));
    expect(created.room_id).toEqual(expect.any(String));
    const out = await api("/api/v1/auth/logout", { method: "POST", token: s.access_token, json: { refresh_token: s.refresh_token } });
    expect(out.status).toBeLessThan(300);
    c.emit("send_message", { room_id: created.room_id, message: "still here?", client_id: "late-1" });
    const error = await c.event("error");
    expect(error.code).toMatch(/AUTHENTICATION|TOKEN|UNAUTH/);
    await c.next((p) => p.type === PacketType.DISCONNECT, "disconnect");
    const deadline = Date.now() + 10_000;
    while (!c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(c.closed).toBe(true);
    // Nothing of the refused event was stored (read back with a fresh login).
    const login = await api("/api/v1/auth/login", { method: "POST", json: { email: s.email, password: s.password } });
    const fresh = ((await login.json()) as { access_token: string }).access_token;
    const msgs = await api(`/api/v1/conversations/${created.room_id}/messages`, { token: fresh });
    expect(msgs.status).toBe(200);
    expect(JSON.stringify(await msgs.json())).not.toContain("still here?");
  });

  it("create_room, send_message (ack after it is stored), the AI reply; another creator's room and a conversation of another channel are not found", async () => {
    const a = await createCreator();
    const { c } = await connected(a.access_token);
    const created = await c.ack(c.emit("create_room", { title: "Plan" }));
    expect(created).toMatchObject({ room_id: expect.any(String), seq: 0 });
    const roomId = created.room_id;
    expect(await c.event("room_created")).toEqual(created);

    const sent = await c.ack(c.emit("send_message", { room_id: roomId, message: "How many rest days should I take?", client_id: "m-1" }));
    expect(sent).toEqual({ room_id: roomId, client_id: "m-1", seq: 1, status: "stored" });
    const reply = await c.event("message_received", (m) => m.sender === "ai");
    expect(reply).toMatchObject({ room_id: roomId, seq: 2, role: "assistant", content: expect.any(String) });
    const row = await api(`/api/v1/conversations/${roomId}`, { token: a.access_token });
    expect(((await row.json()) as any).channel).toBe("api");

    const bad = await c.ack(c.emit("send_message", { room_id: roomId, message: "   " }));
    expect(bad.error).toMatchObject({ code: "VALIDATION_ERROR" });
    const unknown = await c.ack(c.emit("dance", {}));
    expect(unknown.error.code).toBe("VALIDATION_ERROR");

    const b = await createCreator();
    const { c: cb } = await connected(b.access_token);
    expect((await cb.ack(cb.emit("join_room", { room_id: roomId }))).error).toMatchObject({ code: "RESOURCE_NOT_FOUND" });
    expect((await cb.ack(cb.emit("join_room", { room_id: "../../etc" }))).error.code).toBe("RESOURCE_NOT_FOUND");
    // A's own email conversation is not a room.
    await createEmailChannel(a);
    const mail = (await (await processRaw(a, rawEmail({ from: "x@client.example.com", to: "x@y.z" }))).json()) as any;
    expect((await c.ack(c.emit("join_room", { room_id: mail.threadId }))).error.code).toBe("RESOURCE_NOT_FOUND");
    // Nothing of B's reached A's room.
    const msgs = await api(`/api/v1/conversations/${roomId}/messages`, { token: a.access_token });
    expect(JSON.stringify(await msgs.json())).not.toContain("etc");
  });
});

describe("user_joined / user_left between the Socket.IO clients of one room", () => {
  it("tells the others (never the client itself) when a member joins, leaves or disconnects; an agent socket hears it too", async () => {
    const owner = await createCreator();
    const agent = await createAgent(owner.access_token, "Sam Member");
    const { c: a } = await connected(owner.access_token);
    const roomId = (await a.ack(a.emit("create_room", { title: "Shared" }))).room_id as string;
    const watcher = await connectSocket(`/api/v1/conversations/${roomId}/connect`, owner.access_token);

    const { c: b } = await connected(agent.access_token);
    await joined(b, roomId);
    const sam = { id: agent.member_id, name: "Sam Member", role: "user" };
    // (The agent socket itself arrived as user_joined with role agent: the object's agent_joined.)
    const members = (c: SioClient) => c.events("user_joined").filter((p) => p.user.role === "user");
    expect(await a.event("user_joined", (p) => p.user.role === "user")).toEqual({ room_id: roomId, user: sam });
    expect((await watcher.next("user_joined")).user).toEqual(sam);
    await settle();
    expect(members(b)).toEqual([]);

    // The member's second session in the room: they are already here, nobody hears a join.
    const { c: b2 } = await connected(agent.access_token);
    await joined(b2, roomId);
    // One of the two leaves: still here. The second one leaves too: now they left.
    b.emit("leave_room", { room_id: roomId });
    await b.event("user_left");
    await settle();
    expect(a.events("user_left")).toEqual([]);
    b2.emit("leave_room", { room_id: roomId });
    expect(await a.event("user_left")).toEqual({ room_id: roomId, user: sam, reason: "left" });
    expect(await watcher.next("user_left")).toMatchObject({ user: sam, reason: "left" });

    // Back in the room, then the connection drops: a join, then a leave that says so.
    await joined(b2, roomId);
    await a.event("user_joined", () => members(a).length === 2);
    b2.close();
    expect(await a.event("user_left", (p) => p.reason === "disconnected")).toEqual({ room_id: roomId, user: sam, reason: "disconnected" });
    watcher.close();
  });

  it("join_room again on the same connection is no leave and no join for the others", async () => {
    const owner = await createCreator();
    const agent = await createAgent(owner.access_token);
    const { c: a } = await connected(owner.access_token);
    const roomId = (await a.ack(a.emit("create_room", {}))).room_id as string;
    const { c: b } = await connected(agent.access_token);
    await joined(b, roomId);
    await a.event("user_joined");
    await joined(b, roomId);
    const sent = await b.ack(b.emit("send_message", { room_id: roomId, message: "still one of me", client_id: "rj-1" }));
    expect(sent.status).toBe("stored");
    await a.event("message_received", (m) => m.content === "still one of me");
    await settle();
    expect(a.events("user_joined")).toHaveLength(1);
    expect(a.events("user_left")).toEqual([]);
  });
});

describe("a member's Socket.IO session when their access ends", () => {
  /** Two members in one room; `who` is cut off by `end` while silent. */
  async function cutOff(end: (s: { owner: Awaited<ReturnType<typeof createCreator>>; agent: Awaited<ReturnType<typeof createAgent>> }) => Promise<Response>) {
    const owner = await createCreator();
    const agent = await createAgent(owner.access_token, "Cut Off");
    const { c: a } = await connected(owner.access_token);
    const roomId = (await a.ack(a.emit("create_room", {}))).room_id as string;
    await conversationStub(env, roomId).flushOutbox();
    const { c: b } = await connected(agent.access_token);
    await joined(b, roomId);
    await a.event("user_joined");

    const res = await end({ owner, agent });
    expect(res.status).toBeLessThan(300);
    // At once, not at the next ping (25 s): the error, the namespace's DISCONNECT, then close 4401.
    expect(await b.closedWithin(10_000)).toBe(REVOKED_CLOSE_CODE);
    expect(b.events("error")).toContainEqual(expect.objectContaining({ code: "AUTHENTICATION_REQUIRED" }));
    expect(b.packets.some((p) => p.type === PacketType.DISCONNECT)).toBe(true);
    expect(await a.event("user_left")).toEqual({ room_id: roomId, user: { id: agent.member_id, name: "Cut Off", role: "user" }, reason: "revoked" });

    // The room goes on without them: what is said now never reaches the cut-off client.
    const sent = await a.ack(a.emit("send_message", { room_id: roomId, message: "after the revocation", client_id: "after-1" }));
    expect(sent.status).toBe("stored");
    await a.event("message_received", (m) => m.sender === "ai");
    await settle();
    expect(JSON.stringify(b.packets)).not.toContain("after the revocation");
    expect(b.events("message_received")).toEqual([]);
    // And its old token opens no new session.
    expect((await connected(agent.access_token)).answer.type).toBe(PacketType.CONNECT_ERROR);
    return { a, roomId };
  }

  it("a removed member is disconnected at once and hears nothing more", async () => {
    await cutOff(({ owner, agent }) => api(`/api/v1/team/members/${agent.member_id}`, { method: "DELETE", token: owner.access_token }));
  });

  it("a member who signs out is disconnected at once", async () => {
    await cutOff(({ agent }) => api("/api/v1/auth/logout", { method: "POST", token: agent.access_token }));
  });

  it("a revoked access token disconnects its session at once; the owner's own session is left alone", async () => {
    const { a } = await cutOff(({ owner, agent }) => api("/api/v1/auth/tokens/revoke", { method: "POST", token: owner.access_token, json: { token: agent.access_token } }));
    expect(a.closed).toBe(false);
  });
});
