// Socket.IO clients (ai-chat-app-api.md "Socket.IO Real-Time APIs"): Engine.IO v4 framing over the
// WebSocket transport and Socket.IO v5 packets (both from the maintained engine.io-parser and
// socket.io-parser), mapped onto conversations. A session lives in the Worker invocation that
// accepted its WebSocket; each room it joins is a conversation (channel "api") reached as the
// conversation object's own user socket (a one-time ticket), so a message gets the same durable
// ack, streaming (ai_delta) and AI reply as the widget's, and a rejoin with after_seq resumes.
import { decodePacket, encodePacket, type Packet as EioPacket } from "engine.io-parser";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { AppError } from "../lib/errors";
import { toAppError } from "../lib/http-errors";
import { log } from "../lib/logging";
import { REVOKED_CLOSE_CODE } from "./protocol";

export const SOCKETIO_NAMESPACE = "/assistant/realtime";
const PING_INTERVAL_MS = 25_000;
const PING_TIMEOUT_MS = 20_000;
const MAX_PAYLOAD = 1_000_000;

/** Who the handshake's `auth.token` belongs to (verified as the REST bearer is). */
export interface SocketIoAuth {
  creatorId: string;
  memberId: string;
  name: string;
  /** The access token's login session (sid): a logout of it closes this session's rooms at once. */
  loginSessionId?: string;
}

/** What a session needs from the platform above src/realtime (wired in src/modules/conversations). */
export interface SocketIoPorts {
  authenticate(token: string | undefined): Promise<SocketIoAuth>;
  /** A new conversation (channel "api") of the token's creator. */
  createRoom(auth: SocketIoAuth, input: { title?: string }): Promise<{ roomId: string }>;
  /**
   * A user socket on the room's conversation object, carrying the member (announced to the room, and
   * closed with 4401 when their access ends); another creator's room is RESOURCE_NOT_FOUND.
   */
  openRoom(auth: SocketIoAuth, roomId: string, sessionId: string): Promise<WebSocket>;
}

interface Room {
  ws: WebSocket;
  /** client message id → Socket.IO ack id, answered when the object acks (the message is durable). */
  acks: Map<string, number>;
}

const str = (v: unknown, max = 200) => (typeof v === "string" && v.trim() && v.length <= max ? v.trim() : undefined);

export class SocketIoSession {
  private readonly sid = crypto.randomUUID();
  private readonly decoder = new Decoder();
  private readonly encoder = new Encoder();
  private readonly connected = new Map<string, SocketIoAuth>();
  /** Each namespace's handshake token: checked again before every event and at every ping. */
  private readonly tokens = new Map<string, string | undefined>();
  private readonly rooms = new Map<string, Room>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongDeadline: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly ports: SocketIoPorts,
  ) {}

  start(): void {
    this.ws.accept();
    this.eio({ type: "open", data: JSON.stringify({ sid: this.sid, upgrades: [], pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS, maxPayload: MAX_PAYLOAD }) });
    // Engine.IO v4: the server pings; a client that doesn't pong within pingTimeout is gone.
    this.pingTimer = setInterval(() => {
      this.eio({ type: "ping" });
      // A member who lost access (removed, signed out, tokens revoked) stops hearing within a ping.
      void this.stillAllowed().catch((err) => log("warn", "socket.io re-check failed", { error: String(err) }));
      this.pongDeadline ??= setTimeout(() => this.close("ping timeout"), PING_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
    this.decoder.on("decoded", (packet: Packet) => void this.onPacket(packet).catch((err) => log("error", "socket.io packet failed", { error: String(err) })));
    this.ws.addEventListener("message", (e) => this.onFrame(e.data));
    this.ws.addEventListener("close", () => this.close("client closed"));
    this.ws.addEventListener("error", () => this.close("socket error"));
  }

  private onFrame(data: string | ArrayBuffer): void {
    if (typeof data !== "string" || data.length > MAX_PAYLOAD) return this.close("unsupported frame");
    const packet = decodePacket(data);
    if (packet.type === "pong") {
      clearTimeout(this.pongDeadline);
      this.pongDeadline = undefined;
    } else if (packet.type === "ping") this.eio({ type: "pong", data: packet.data });
    else if (packet.type === "close") this.close("client close packet");
    else if (packet.type === "message") {
      try {
        this.decoder.add(packet.data);
      } catch (err) {
        // A malformed Socket.IO packet: the protocol's answer is to close the connection.
        log("warn", "socket.io malformed packet", { error: String(err) });
        this.close("parse error");
      }
    }
  }

  private async onPacket(packet: Packet): Promise<void> {
    const nsp = packet.nsp || "/";
    if (packet.type === PacketType.CONNECT) return this.onConnect(nsp, packet.data);
    const auth = this.connected.get(nsp);
    if (!auth) return;
    if (packet.type === PacketType.DISCONNECT) {
      this.connected.delete(nsp);
      // socket.disconnect() (the spec's `disconnect`, "close connection") ends the connection, not one
      // room: the others hear "disconnected", as for a drop; `leave_room` is the one that says "left".
      if (nsp === SOCKETIO_NAMESPACE) for (const id of [...this.rooms.keys()]) this.leave(id, 1001);
      return;
    }
    if (packet.type !== PacketType.EVENT || !Array.isArray(packet.data)) return;
    // The token is checked again, live, before every event (as the REST bearer is on every request).
    if (!(await this.stillAllowed())) return;
    const [event, ...args] = packet.data as [unknown, ...unknown[]];
    const input = (args[0] && typeof args[0] === "object" ? args[0] : {}) as Record<string, unknown>;
    const ack = packet.id;
    if (nsp !== SOCKETIO_NAMESPACE) return this.fail(nsp, ack, new AppError("RESOURCE_NOT_FOUND", `Events are served on ${SOCKETIO_NAMESPACE}`));
    try {
      switch (event) {
        case "create_room":
          return await this.createRoom(auth, input, ack);
        case "join_room":
          return await this.joinRoom(auth, input, ack);
        case "leave_room":
          return this.leaveRoom(auth, input, ack);
        case "send_message":
          return this.sendMessage(input, ack);
        default:
          throw new AppError("VALIDATION_ERROR", `Unknown event ${JSON.stringify(String(event)).slice(0, 60)}: create_room, join_room, leave_room, send_message`);
      }
    } catch (err) {
      this.fail(nsp, ack, toAppError(err), str(input.room_id));
    }
  }

  private async onConnect(nsp: string, data: unknown): Promise<void> {
    if (nsp !== SOCKETIO_NAMESPACE && nsp !== "/") return this.sio({ type: PacketType.CONNECT_ERROR, nsp, data: { message: "Invalid namespace" } });
    try {
      const token = str((data as { token?: unknown } | undefined)?.token, 4096);
      const auth = await this.ports.authenticate(token);
      this.connected.set(nsp, auth);
      this.tokens.set(nsp, token);
      this.sio({ type: PacketType.CONNECT, nsp, data: { sid: `${this.sid}#${nsp}` } });
    } catch (err) {
      const e = toAppError(err);
      // Reaches the client as connect_error (err.message, err.data).
      this.sio({ type: PacketType.CONNECT_ERROR, nsp, data: { message: e.message, data: { code: e.code } } });
    }
  }

  private async createRoom(auth: SocketIoAuth, input: Record<string, unknown>, ack?: number): Promise<void> {
    const { roomId } = await this.ports.createRoom(auth, { title: str(input.title) });
    const seq = await this.join(auth, roomId);
    const payload = { room_id: roomId, conversation_id: roomId, seq };
    this.emit("room_created", payload);
    this.reply(ack, payload);
  }

  private async joinRoom(auth: SocketIoAuth, input: Record<string, unknown>, ack?: number): Promise<void> {
    const roomId = str(input.room_id);
    if (!roomId) throw new AppError("VALIDATION_ERROR", "join_room needs { room_id }", [{ field: "room_id", message: "Required" }]);
    const afterSeq = Number.isInteger(input.after_seq) && (input.after_seq as number) >= 0 ? (input.after_seq as number) : undefined;
    const seq = await this.join(auth, roomId, afterSeq);
    const payload = { room_id: roomId, conversation_id: roomId, seq };
    this.emit("room_joined", payload);
    this.reply(ack, payload);
  }

  private leaveRoom(auth: SocketIoAuth, input: Record<string, unknown>, ack?: number): void {
    const roomId = str(input.room_id);
    if (!roomId || !this.rooms.has(roomId)) throw new AppError("RESOURCE_NOT_FOUND", "Not in this room");
    this.leave(roomId);
    const payload = { room_id: roomId, user: { id: auth.memberId, name: auth.name } };
    this.emit("user_left", payload);
    this.reply(ack, payload);
  }

  private sendMessage(input: Record<string, unknown>, ack?: number): void {
    const roomId = str(input.room_id);
    const room = roomId ? this.rooms.get(roomId) : undefined;
    if (!room) throw new AppError("RESOURCE_NOT_FOUND", "Join the room first (join_room)");
    const text = typeof input.message === "string" ? input.message : typeof input.text === "string" ? input.text : "";
    if (!text.trim()) throw new AppError("VALIDATION_ERROR", "send_message needs { room_id, message }", [{ field: "message", message: "Required" }]);
    // The client's id makes a resend idempotent (the object stores it once and acks it again).
    const id = str(input.client_id) ?? crypto.randomUUID();
    if (ack !== undefined) room.acks.set(id, ack);
    room.ws.send(JSON.stringify({ type: "message", id, text }));
  }

  /** Opens the room's conversation socket; resolves with its seq once the object has accepted it. */
  private async join(auth: SocketIoAuth, roomId: string, afterSeq?: number): Promise<number> {
    // Joining a room again: the new socket is accepted before the old one closes, so the others
    // see the member stay (no user_left, no user_joined).
    const previous = this.rooms.get(roomId);
    const ws = await this.ports.openRoom(auth, roomId, this.sid);
    ws.accept();
    const room: Room = { ws, acks: new Map() };
    this.rooms.set(roomId, room);
    try {
      previous?.ws.close(1000, "rejoined");
    } catch {
      /* already closed */
    }
    const established = new Promise<number>((resolve) => {
      ws.addEventListener("message", (e) => {
        if (typeof e.data !== "string") return;
        let frame: Record<string, any>;
        try {
          frame = JSON.parse(e.data);
        } catch {
          return;
        }
        if (frame.type === "connection_established") resolve(Number(frame.seq ?? 0));
        this.fromRoom(roomId, room, frame);
      });
    });
    ws.addEventListener("close", (e) => {
      if (this.rooms.get(roomId) !== room) return;
      this.rooms.delete(roomId);
      if (this.closed) return;
      // The member's access ended (removed, role changed, signed out, tokens revoked): the object
      // closed this room at once, and the whole session ends as an agent's sockets do — nothing more
      // reaches it from any room. The client signs in again (a changed role lands with the new one).
      if (e.code === REVOKED_CLOSE_CODE) return this.cutOff(new AppError("AUTHENTICATION_REQUIRED", e.reason || "Access revoked"));
      if (e.code >= 4000) this.emit("error", { room_id: roomId, code: e.code === 4404 ? "RESOURCE_NOT_FOUND" : "AUTHENTICATION_REQUIRED", message: e.reason || "The room closed" });
    });
    const seq = await established;
    if (afterSeq !== undefined) ws.send(JSON.stringify({ type: "resume", afterSeq }));
    return seq;
  }

  /** The conversation's frames as the spec's events. */
  private fromRoom(roomId: string, room: Room, frame: Record<string, any>): void {
    switch (frame.type) {
      case "ack": {
        const ackId = room.acks.get(frame.id);
        if (ackId !== undefined) {
          room.acks.delete(frame.id);
          this.reply(ackId, { room_id: roomId, client_id: frame.id, seq: frame.seq, status: "stored" });
        }
        return;
      }
      case "message":
        return this.emit("message_received", {
          room_id: roomId,
          message_id: frame.id,
          seq: frame.seq,
          sender: frame.sender,
          role: frame.sender === "user" ? "user" : frame.sender === "ai" ? "assistant" : frame.sender,
          content: frame.text,
          ...(frame.clientId && { client_id: frame.clientId }),
          ...(frame.sources && { sources: frame.sources }),
          timestamp: frame.createdAt,
        });
      case "ai_delta":
        return this.emit("message_delta", { room_id: roomId, message_id: frame.messageId, delta: frame.delta });
      case "resumed":
        return this.emit("room_resumed", { room_id: roomId, after_seq: frame.afterSeq, seq: frame.seq });
      case "agent_joined":
        return this.emit("user_joined", { room_id: roomId, user: { id: frame.agent?.id, name: frame.agent?.name, role: "agent" } });
      case "agent_left":
        return this.emit("user_left", { room_id: roomId, user: { id: frame.agent?.id, name: frame.agent?.name, role: "agent" } });
      // Another Socket.IO client's member came or went (the object never tells a socket of its own).
      case "user_joined":
        return this.emit("user_joined", { room_id: roomId, user: frame.user });
      case "user_left":
        return this.emit("user_left", { room_id: roomId, user: frame.user, reason: frame.reason });
      case "error": {
        const ackId = frame.id !== undefined ? room.acks.get(frame.id) : undefined;
        if (ackId !== undefined) room.acks.delete(frame.id);
        this.fail(SOCKETIO_NAMESPACE, ackId, new AppError(frame.code ?? "INTERNAL_SERVER_ERROR", frame.message ?? "Error"), roomId);
        return;
      }
    }
  }

  /** 1000: the client left the room (leave_room); 1001: the connection ended (the namespace's disconnect, a drop). */
  private leave(roomId: string, code: 1000 | 1001 = 1000): void {
    const room = this.rooms.get(roomId);
    this.rooms.delete(roomId);
    try {
      room?.ws.close(code, code === 1000 ? "left" : "gone");
    } catch {
      /* already closed */
    }
  }

  private fail(nsp: string, ack: number | undefined, e: AppError, roomId?: string): void {
    const payload = { code: e.code, message: e.message, ...(roomId && { room_id: roomId }), ...(e.details?.length && { details: e.details }) };
    this.sio({ type: PacketType.EVENT, nsp, data: ["error", payload] });
    if (ack !== undefined) this.sio({ type: PacketType.ACK, nsp, id: ack, data: [{ error: payload }] });
  }

  private emit(event: string, payload: unknown): void {
    this.sio({ type: PacketType.EVENT, nsp: SOCKETIO_NAMESPACE, data: [event, payload] });
  }

  private reply(ack: number | undefined, payload: unknown): void {
    if (ack !== undefined) this.sio({ type: PacketType.ACK, nsp: SOCKETIO_NAMESPACE, id: ack, data: [payload] });
  }

  private sio(packet: Packet): void {
    for (const encoded of this.encoder.encode(packet)) this.eio({ type: "message", data: encoded });
  }

  private eio(packet: EioPacket): void {
    if (this.closed) return;
    encodePacket(packet, false, (encoded) => {
      try {
        this.ws.send(encoded as string);
      } catch {
        this.close("send failed");
      }
    });
  }

  /**
   * Whether every connected namespace's token still authenticates; when one doesn't, the whole
   * connection ends (an `error` event with the code, then close 4401, as agent sockets close).
   */
  private async stillAllowed(): Promise<boolean> {
    for (const [nsp, token] of this.tokens) {
      try {
        await this.ports.authenticate(token);
      } catch (err) {
        if (this.closed) return false;
        this.cutOff(toAppError(err), nsp);
        return false;
      }
    }
    return !this.closed;
  }

  /** Access ended: an `error` event with the code, DISCONNECT of every namespace (or of `nsp`), then close 4401. */
  private cutOff(e: AppError, nsp?: string): void {
    for (const n of nsp ? [nsp] : [...this.connected.keys()]) {
      this.sio({ type: PacketType.EVENT, nsp: n, data: ["error", { code: e.code, message: e.message }] });
      this.sio({ type: PacketType.DISCONNECT, nsp: n });
    }
    this.close("access revoked", REVOKED_CLOSE_CODE);
  }

  private close(reason: string, code = 1000): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongDeadline);
    for (const id of [...this.rooms.keys()]) this.leave(id, 1001);
    try {
      this.ws.close(code, reason.slice(0, 100));
    } catch {
      /* already closed */
    }
  }
}

/**
 * GET /socket.io/?EIO=4&transport=websocket: the WebSocket transport only (long-polling is refused
 * with 400 in our error format, so socket.io-client configured with transports: ["websocket"]
 * connects; one left at its default keeps failing its polling handshake).
 */
export function acceptSocketIo(request: Request, ports: SocketIoPorts): Response {
  const url = new URL(request.url);
  if (url.searchParams.get("EIO") !== "4") throw new AppError("MALFORMED_REQUEST", "Unsupported protocol version: Engine.IO 4 (EIO=4, socket.io-client 3 and later)");
  if (url.searchParams.get("transport") !== "websocket" || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError("MALFORMED_REQUEST", "Transport unknown: only the websocket transport is served (transports: [\"websocket\"])");
  }
  const { 0: client, 1: server } = new WebSocketPair();
  new SocketIoSession(server, ports).start();
  return new Response(null, { status: 101, webSocket: client });
}
