// Control for bench/realtime.ts: the least a Durable Object can do for the same protocol — store the
// message in its SQLite storage (per-conversation seq, idempotent client id), ack, broadcast — over
// the WebSocket Hibernation API. Same frames as EdgeCoach's widget socket for the parts the bench uses.
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, client_id TEXT UNIQUE, text TEXT NOT NULL, created_at TEXT NOT NULL)`);
  }

  async fetch(request) {
    if (new URL(request.url).pathname === "/history") {
      return Response.json(this.ctx.storage.sql.exec("SELECT seq, client_id FROM messages ORDER BY seq").toArray());
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.send(JSON.stringify({ type: "connection_established" }));
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, raw) {
    const frame = JSON.parse(raw);
    if (frame.type !== "message") return; // the bench's handover_request: nothing to do here
    const sql = this.ctx.storage.sql;
    const known = sql.exec("SELECT seq FROM messages WHERE client_id = ?", frame.id).toArray()[0];
    if (known) return ws.send(JSON.stringify({ type: "ack", id: frame.id, seq: known.seq }));
    const seq = sql.exec("SELECT coalesce(max(seq), 0) + 1 AS s FROM messages").one().s;
    const createdAt = new Date().toISOString();
    sql.exec("INSERT INTO messages (seq, client_id, text, created_at) VALUES (?, ?, ?, ?)", seq, frame.id, frame.text, createdAt);
    // The output gate holds these sends until the write above is durable, as in EdgeCoach.
    ws.send(JSON.stringify({ type: "ack", id: frame.id, seq }));
    const data = JSON.stringify({ type: "message", id: crypto.randomUUID(), seq, sender: "user", text: frame.text, clientId: frame.id, createdAt });
    for (const s of this.ctx.getWebSockets()) s.send(data);
  }
}

export default {
  async fetch(request, env) {
    const conversation = new URL(request.url).searchParams.get("conversation");
    if (!conversation) return new Response("conversation required", { status: 400 });
    return env.ROOM.get(env.ROOM.idFromName(conversation)).fetch(request);
  },
};
