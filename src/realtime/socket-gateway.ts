// The object's side of its sockets: the upgrade (token checked before the socket is accepted), each
// client frame dispatched to its flow, and a socket going away. Frames in and out are the zod
// protocol of src/realtime/protocol.ts.
import { config } from "../config";
import { AppError, errorBody, unauthenticated } from "../lib/errors";
import { toAppError } from "../lib/http-errors";
import { randomToken } from "../lib/ids";
import { messageFrame } from "./ai-reply";
import { SignalLimiter } from "./frame-limits";
import { CONVERSATION_HEADER, SOCKET_KIND_HEADER, type SocketRevocation } from "./index";
import { participantJoined, participantLeft } from "./participants";
import { parseClientFrame, REVOKED_CLOSE_CODE, type LeaveReason } from "./protocol";
import type { Room } from "./room";
import { closeSockets } from "./sockets";
import type { AgentIdentity, SocketIdentity, SocketKind, SocketMember, UserIdentity } from "./socket-identity";
import { agentGone, agentJoined, initiateHandover, markCompleted, releaseToAi } from "./transitions";
import { onSocketMessage, recoverOwedReply } from "./turn";

/** A resume replays at most this many messages; the client resumes again from the last one it got. */
const REPLAY_LIMIT = 500;

interface Ticket {
  who: UserIdentity;
  expiresAt: number;
}

export class SocketGateway {
  private readonly signals: SignalLimiter;
  /**
   * Widget tickets not yet used. Memory only: a ticket lives seconds, and one lost to an eviction
   * makes the widget ask for another (it does on any refused connect).
   */
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly room: Room) {
    const cfg = () => config(room.env).realtime;
    this.signals = new SignalLimiter(() => ({ typing: cfg().typingFramesPerMinute, resume: cfg().resumeFramesPerMinute }));
  }

  /** The WebSocket upgrade, forwarded by the Worker (src/realtime/index.ts forwardSocket). */
  async upgrade(request: Request): Promise<Response> {
    const room = this.room;
    try {
      const state = await room.bind(request.headers.get(CONVERSATION_HEADER) ?? "");
      const kind = request.headers.get(SOCKET_KIND_HEADER) as SocketKind;
      const query = new URL(request.url).searchParams;
      const ticket = kind === "widget" ? query.get("ticket") : null;
      const who = ticket
        ? this.redeem(ticket)
        : await room.ports.authorize(room.env, kind, query.get("token"), { id: state.conversationId, creatorId: state.creatorId });
      if (who.role === "user" && who.epoch < (state.widgetEpoch ?? 0)) throw unauthenticated("The widget token has been revoked");
      if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        throw new AppError("MALFORMED_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
      }
      const { 0: client, 1: server } = new WebSocketPair();
      room.ctx.acceptWebSocket(server, [who.role]);
      server.serializeAttachment(who);
      room.send(server, {
        type: "connection_established",
        conversationId: state.conversationId,
        seq: room.log.lastSeq,
        status: state.status,
        handover: state.handover,
        agent: state.agent,
        role: who.role,
      });
      if (who.role === "agent") agentJoined(room, who);
      else participantJoined(room, server, who);
      room.presenceChanged();
      // A tab coming back after a crash: the reply the crash cut off is owed to it.
      recoverOwedReply(room);
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      const e = toAppError(err);
      return Response.json(errorBody(e, "conversation"), { status: e.status });
    }
  }

  async frame(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const room = this.room;
    const who = ws.deserializeAttachment() as SocketIdentity;
    const state = room.state;
    if (!state) {
      ws.close(1011, "Conversation no longer exists");
      return;
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return room.send(ws, { type: "error", code: parsed.code, message: parsed.message });
    const frame = parsed.frame;
    switch (frame.type) {
      case "message":
        return onSocketMessage(room, ws, who, frame);
      case "typing":
        if (!this.signals.allow(ws, "typing")) return room.send(ws, { type: "error", code: "RATE_LIMIT_EXCEEDED", message: "Too many typing frames, slow down" });
        return room.broadcast(
          { type: frame.isTyping ? "typing_start" : "typing_stop", sender: who.role, ...(who.role === "agent" && { name: who.name }) },
          ws,
        );
      case "handover_request":
        if (who.role !== "user") return room.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only the end user requests a handover" });
        if (state.status === "archived") return room.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived" });
        if (state.handover === "ai") return initiateHandover(room, "user_request");
        return room.send(ws, { type: "handover_initiated", message: "A human agent has been asked to join.", reason: "user_request" });
      case "release":
        if (who.role !== "agent") return room.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only an agent releases a conversation" });
        releaseToAi(room);
        return;
      case "complete":
        if (who.role !== "agent") return room.send(ws, { type: "error", code: "INSUFFICIENT_PERMISSIONS", message: "Only an agent completes a conversation" });
        if (state.status === "archived") return room.send(ws, { type: "error", code: "CONFLICT", message: "This conversation is archived" });
        markCompleted(room, "resolved");
        return;
      case "resume":
        if (!this.signals.allow(ws, "resume")) return room.send(ws, { type: "error", code: "RATE_LIMIT_EXCEEDED", message: "Too many resumes, slow down" });
        this.replay(ws, frame.afterSeq);
        return recoverOwedReply(room);
      case "ping":
        return room.send(ws, { type: "pong" });
      case "rating":
        return room.send(ws, await room.ports.rate(room.env, state, who, frame));
    }
  }

  /**
   * A socket closed (with `code`) or failed: an agent's last socket leaves the handover waiting, a
   * member's last room socket tells the others they left; presence is updated.
   */
  gone(ws: WebSocket, code?: number): void {
    const who = ws.deserializeAttachment() as SocketIdentity | null;
    if (this.room.state && who?.role === "agent") agentGone(this.room, who, ws);
    if (this.room.state && who?.role === "user") participantLeft(this.room, ws, who, leaveReason(code));
    this.room.presenceChanged(ws);
  }

  /**
   * Closes the sockets whose credentials were revoked (code 4401): one widget session's (it was
   * ended), every widget token issued before a key rotation (`epochBelow`, remembered so an old token
   * can't connect in a race), or a member's (removed, role changed, tokens revoked; one login session's
   * on logout): their agent sockets and their Socket.IO room sockets, whose bridge then ends the whole
   * Socket.IO session (4401). A reconnect with the old access token is refused by authorize (session
   * revoked, member gone) or lands with the member's new role.
   */
  revoke(revoke: SocketRevocation): number {
    const room = this.room;
    const state = room.state!;
    if (revoke.epochBelow !== undefined && revoke.epochBelow > (state.widgetEpoch ?? 0)) {
      state.widgetEpoch = revoke.epochBelow;
      room.save(false);
    }
    const widgetRevoked = (who: UserIdentity) => who.sessionId === revoke.sessionId || (revoke.epochBelow !== undefined && (who.epoch ?? 0) < revoke.epochBelow);
    const memberRevoked = (m: Pick<SocketMember, "id" | "loginSessionId"> | undefined) =>
      !!m && !!(revoke.memberId || revoke.loginSessionId) && (!revoke.memberId || m.id === revoke.memberId) && (!revoke.loginSessionId || m.loginSessionId === revoke.loginSessionId);
    const revoked = (who: UserIdentity) => widgetRevoked(who) || memberRevoked(who.member);
    for (const [k, t] of this.tickets) if (revoked(t.who)) this.tickets.delete(k);
    const users = room.sockets("user").filter((ws) => revoked(ws.deserializeAttachment() as UserIdentity));
    const agents = room.sockets("agent").filter((ws) => {
      const who = ws.deserializeAttachment() as AgentIdentity;
      return memberRevoked({ id: who.memberId, loginSessionId: who.loginSessionId });
    });
    const members = users.filter((ws) => (ws.deserializeAttachment() as UserIdentity).member);
    closeSockets(users.filter((ws) => !members.includes(ws)), REVOKED_CLOSE_CODE, "Widget token revoked");
    closeSockets([...members, ...agents], REVOKED_CLOSE_CODE, "Access revoked");
    // A socket the object closes gets no close event of its own here: its departure is said now.
    for (const ws of [...users, ...agents]) this.gone(ws, REVOKED_CLOSE_CODE);
    return users.length + agents.length;
  }

  /** A ticket for the widget socket of `who` (checked live by the caller): one use, `ttlSeconds` long. */
  issueTicket(who: UserIdentity): { ticket: string; expiresIn: number } {
    const state = this.room.state!;
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(k);
    const ttl = config(this.room.env).realtime.widgetTicketTtlSeconds;
    const ticket = `${state.creatorId}.${state.conversationId}.${randomToken(24)}`;
    this.tickets.set(ticket, { who, expiresAt: now + ttl * 1000 });
    return { ticket, expiresIn: ttl };
  }

  /** Used once: taken out of the map whether or not it is still fresh. */
  private redeem(ticket: string): UserIdentity {
    const found = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!found || found.expiresAt <= Date.now()) throw unauthenticated("The ticket is invalid, used or expired");
    return found.who;
  }

  private replay(ws: WebSocket, afterSeq: number): void {
    const room = this.room;
    for (const m of room.log.after(afterSeq, REPLAY_LIMIT)) room.send(ws, messageFrame(m));
    room.send(ws, { type: "resumed", afterSeq, seq: room.log.lastSeq });
    // A reply streaming right now: the text so far, so the tab shows no gap.
    if (room.streaming?.text) room.send(ws, { type: "ai_delta", messageId: room.streaming.messageId, delta: room.streaming.text });
  }
}

/** How a socket's close reads to the others: 1000 is the client leaving on purpose (the Socket.IO bridge's leave_room). */
function leaveReason(code: number | undefined): LeaveReason {
  return code === REVOKED_CLOSE_CODE ? "revoked" : code === 1000 ? "left" : "disconnected";
}
