// Knowledge floor (child process, IPC): the same chunks in a plain SQLite FTS5 table via better-sqlite3,
// BM25 only, file-backed (WAL). Runs under whichever Node better-sqlite3 was built for; the parent
// chunks the corpus with the product's code and sends the chunks and FTS queries here. Times are
// measured in this process, around the SQLite calls only.
const Database = require("better-sqlite3");

const db = new Database(process.argv[2]);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
// The product's FTS5 definition (migrations/0001_knowledge_fts.sql), as a plain (not external-content) table.
db.exec("CREATE VIRTUAL TABLE chunks_fts USING fts5(content, heading, tokenize='porter unicode61 remove_diacritics 2')");
const insert = db.prepare("INSERT INTO chunks_fts(rowid, content, heading) VALUES (?, ?, ?)");
// The product's BM25 statement: heading matches weigh half a body match.
const bm25 = db.prepare("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?").pluck();
const count = db.prepare("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?").pluck();
const total = db.prepare("SELECT count(*) FROM chunks_fts").pluck();
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// One transaction a document, like the product's ingestion writes a document's chunks together.
const insertDocument = db.transaction((rows) => {
  for (const r of rows) insert.run(r.rowid, r.content, r.heading);
});

process.on("message", (msg) => {
  switch (msg.op) {
    case "index": {
      const t0 = process.hrtime.bigint();
      for (const doc of msg.documents) insertDocument(doc);
      process.send({ op: "index", ms: ms(t0) });
      break;
    }
    case "df": {
      // Document frequencies as the product's query side reads them (chunks matching each word).
      const n = total.get();
      process.send({ op: "df", n, df: msg.words.map((w) => count.get(`"${w.replace(/"/g, "")}"`)) });
      break;
    }
    case "search": {
      const out = [];
      for (const match of msg.matches) {
        const t0 = process.hrtime.bigint();
        const rows = match ? bm25.all(match, msg.limit) : [];
        out.push({ ms: ms(t0), rows });
      }
      process.send({ op: "search", results: out });
      break;
    }
    case "close":
      db.close();
      process.send({ op: "close" });
      process.exit(0);
  }
});
process.send({ op: "ready", sqlite: db.prepare("SELECT sqlite_version()").pluck().get() });
