// Baseline for bench/realtime.ts: a minimal Socket.IO server that stores each message in SQLite
// (better-sqlite3, WAL) before acknowledging it, with per-conversation seq and idempotent client ids,
// then broadcasts it to the conversation's room. Loopback only.
// Usage: node socketio-server.cjs <port> <db> [FULL|NORMAL]  (FULL = fsync per commit, like a DO write)
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const Database = require("better-sqlite3");

const port = Number(process.argv[2]);
const db = new Database(process.argv[3]);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${process.argv[4] === "NORMAL" ? "NORMAL" : "FULL"}`);
db.exec(`CREATE TABLE IF NOT EXISTS messages (
  conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq), UNIQUE (conversation_id, client_id))`);
const insert = db.prepare("INSERT INTO messages (conversation_id, seq, client_id, text, created_at) VALUES (?, ?, ?, ?, ?)");
const byClient = db.prepare("SELECT seq FROM messages WHERE conversation_id = ? AND client_id = ?");
const maxSeq = db.prepare("SELECT COALESCE(MAX(seq), 0) AS s FROM messages WHERE conversation_id = ?");
const history = db.prepare("SELECT seq, client_id FROM messages WHERE conversation_id = ? ORDER BY seq");
const lastSeq = new Map();

const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  const conversationId = String(socket.handshake.query.conversation);
  socket.join(conversationId);
  socket.on("message", (frame, ack) => {
    const known = byClient.get(conversationId, frame.id);
    if (known) return ack({ seq: known.seq });
    const seq = (lastSeq.get(conversationId) ?? maxSeq.get(conversationId).s) + 1;
    const createdAt = new Date().toISOString();
    insert.run(conversationId, seq, frame.id, frame.text, createdAt); // durable (committed) before the ack
    lastSeq.set(conversationId, seq);
    ack({ seq });
    io.to(conversationId).emit("message", { id: frame.id, seq, text: frame.text, createdAt });
  });
  // Read-back for the loss check: every stored message of this conversation.
  socket.on("history", (_frame, ack) => ack(history.all(conversationId)));
});
http.listen(port, "127.0.0.1", () => process.send?.("ready") ?? console.log("ready"));
