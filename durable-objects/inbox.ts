// The live inbox: one object per creator. Members (owner, admin, agent) keep a WebSocket on it and
// get every conversation change (new conversation, new message preview, status change, agent
// joined/left) and their new notifications, each with the object's own seq; a reconnecting client
// sends the last seq it saw and receives everything after it (the last RETAIN events are kept).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";

export const INBOX_MEMBER_HEADER = "X-Inbox-Member";
/** Events kept for resume: a client away longer reloads its lists instead. */
const RETAIN = 2000;
/** Client frames are tiny (resume, ping): anything bigger is refused. */
const MAX_FRAME = 1024;

export interface InboxEvent {
  type: string;
  data: Record<string, unknown>;
  at: string;
  /** Only these members receive it (notifications); absent = every member. */
  members?: string[];
}

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  type: string;
  data: string;
  at: string;
  members: string | null;
}

export class Inbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL, members TEXT)");
  }

  private lastSeq(): number {
    return this.ctx.storage.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM events").one().s ?? 0;
  }

  /** Appends events and pushes each to the sockets it concerns. */
  async publish(events: InboxEvent[]): Promise<number> {
    let seq = 0;
    for (const e of events) {
      const members = e.members ? JSON.stringify(e.members) : null;
      seq = this.ctx.storage.sql
        .exec<{ seq: number }>("INSERT INTO events (type, data, at, members) VALUES (?, ?, ?, ?) RETURNING seq", e.type, JSON.stringify(e.data), e.at, members)
        .one().seq;
      const frame = JSON.stringify({ type: "event", seq, event: e.type, data: e.data, at: e.at });
      for (const ws of this.ctx.getWebSockets()) {
        const memberId = (ws.deserializeAttachment() as { memberId: string } | null)?.memberId;
        if (e.members && (!memberId || !e.members.includes(memberId))) continue;
        try {
          ws.send(frame);
        } catch {
          /* closing */
        }
      }
    }
    this.ctx.storage.sql.exec("DELETE FROM events WHERE seq <= ?", seq - RETAIN);
    return seq;
  }

  /** Members connected right now (a handover mails agents when this is 0). */
  async online(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  override async fetch(request: Request): Promise<Response> {
    const memberId = request.headers.get(INBOX_MEMBER_HEADER);
    if (!memberId || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected a member's WebSocket upgrade", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [memberId]);
    server.serializeAttachment({ memberId });
    server.send(JSON.stringify({ type: "connection_established", last_seq: this.lastSeq() }));
    const after = Number(new URL(request.url).searchParams.get("after_seq"));
    if (Number.isInteger(after) && after >= 0 && new URL(request.url).searchParams.has("after_seq")) this.replay(server, memberId, after);
    return new Response(null, { status: 101, webSocket: client });
  }

  private replay(ws: WebSocket, memberId: string, afterSeq: number): void {
    const oldest = this.ctx.storage.sql.exec<{ s: number | null }>("SELECT min(seq) AS s FROM events").one().s;
    // Events were dropped since: the client must reload its lists, then follow the stream.
    if (oldest !== null && afterSeq < oldest - 1) ws.send(JSON.stringify({ type: "resume_gap", oldest_seq: oldest }));
    for (const r of this.ctx.storage.sql.exec<Row>("SELECT * FROM events WHERE seq > ? ORDER BY seq", afterSeq)) {
      if (r.members && !(JSON.parse(r.members) as string[]).includes(memberId)) continue;
      ws.send(JSON.stringify({ type: "event", seq: r.seq, event: r.type, data: JSON.parse(r.data), at: r.at }));
    }
    ws.send(JSON.stringify({ type: "resumed", last_seq: this.lastSeq() }));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const text = typeof message === "string" ? message : "";
    let frame: { type?: string; after_seq?: unknown } | null;
    try {
      frame = text.length <= MAX_FRAME ? (JSON.parse(text) as { type?: string; after_seq?: unknown }) : null;
    } catch {
      frame = null;
    }
    const memberId = (ws.deserializeAttachment() as { memberId: string }).memberId;
    if (frame?.type === "resume" && Number.isInteger(frame.after_seq) && (frame.after_seq as number) >= 0) return this.replay(ws, memberId, frame.after_seq as number);
    if (frame?.type === "ping") return ws.send(JSON.stringify({ type: "pong" }));
    ws.send(JSON.stringify({ type: "error", code: "invalid_frame", message: "Expected {type: 'resume', after_seq: n} or {type: 'ping'}" }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }
}
