// Proactive-tick floor (child process under the Node better-sqlite3 was built for): the unavoidable
// reads and writes of one tick for the same users and rules, in plain SQLite from Node, nothing else:
//   1. read the creator's active rules (one query);
//   2. read the audience's ids and timezones once (one query over the creator's end users);
//   3. write one ledger row per message the tick scheduled — exactly the rows EdgeCoach's tick wrote,
//      copied from its D1 — into the same `proactive_sends` table with the same indexes, 1,000 a transaction;
//   4. advance each rule's evaluated window (one UPDATE a rule);
//   5. enqueue the sends due now: one queue message per 50 send ids, written to an outbox table.
// No rule evaluation at all (which users match is given), so the ratio EdgeCoach / floor is the cost of
// deciding plus the Worker/D1 overhead. Setup (schema, users, rules) is copied from EdgeCoach's D1 and
// not timed. Usage: node proactive-floor.cjs <edgecoach-d1.sqlite> <floor.db> <creator id> → JSON on stdout.
const Database = require("better-sqlite3");

const [source, target, creatorId] = process.argv.slice(2);
const src = new Database(source, { readonly: true, fileMustExist: true });
const db = new Database(target);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");

// Same tables and indexes as the product's D1 (read from it), so a ledger row costs the same index entries.
const TABLES = ["end_users", "proactive_rules", "proactive_sends"];
for (const { sql } of src.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name IN (${TABLES.map(() => "?").join(",")}) AND sql IS NOT NULL ORDER BY type DESC`).all(...TABLES)) {
  db.exec(sql);
}
db.exec("CREATE TABLE queue_outbox (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
const copy = (table, where, ...binds) => {
  const rows = src.prepare(`SELECT * FROM ${table} WHERE ${where}`).all(...binds);
  if (!rows.length) return rows;
  const cols = Object.keys(rows[0]);
  const ins = db.prepare(`INSERT INTO ${table} (${cols.join(",")}) VALUES (${cols.map((c) => `@${c}`).join(",")})`);
  db.transaction(() => rows.forEach((r) => ins.run(r)))();
  return rows;
};
copy("end_users", "creator_id = ?", creatorId);
copy("proactive_rules", "creator_id = ?", creatorId);
const ledger = src.prepare("SELECT * FROM proactive_sends WHERE creator_id = ? ORDER BY rule_id, occurrence_key, end_user_id, action_index").all(creatorId);
db.pragma("wal_checkpoint(TRUNCATE)");

const nowIso = new Date().toISOString();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
// 1. the due rules
const rules = db.prepare("SELECT id, trigger_type, trigger_conditions, actions, evaluated_until FROM proactive_rules WHERE is_active = 1 AND creator_id = ?").all(creatorId);
// 2. the audience, once
const audience = db.prepare("SELECT id, timezone FROM end_users WHERE creator_id = ?").raw().all(creatorId);
// 3. one ledger row per scheduled message (status 'pending'; the enqueue below marks the due ones)
const cols = ["creator_id", "rule_id", "end_user_id", "occurrence_key", "action_index", "status", "due_at", "local_date", "text", "created_at"];
const insert = db.prepare(`INSERT INTO proactive_sends (${cols.join(",")}) VALUES (${cols.map(() => "?").join(",")}) RETURNING id, due_at`);
const due = [];
const writeChunk = db.transaction((rows) => {
  for (const r of rows) {
    const row = insert.get(r.creator_id, r.rule_id, r.end_user_id, r.occurrence_key, r.action_index, "pending", r.due_at, r.local_date, r.text, nowIso);
    if (row.due_at <= nowIso) due.push(row.id);
  }
});
for (let i = 0; i < ledger.length; i += 1000) writeChunk(ledger.slice(i, i + 1000));
// 4. each rule's window
const advance = db.prepare("UPDATE proactive_rules SET evaluated_until = ? WHERE id = ?");
db.transaction(() => rules.forEach((r) => advance.run(nowIso, r.id)))();
// 5. enqueue the due sends: queue messages of 50 ids, and their ledger rows marked queued
const enqueue = db.prepare("INSERT INTO queue_outbox (body) VALUES (?)");
const mark = db.prepare("UPDATE proactive_sends SET status = 'queued' WHERE id = ?");
let jobs = 0;
db.transaction(() => {
  for (let i = 0; i < due.length; i += 50) {
    const ids = due.slice(i, i + 50);
    enqueue.run(JSON.stringify({ type: "proactive.send", creatorId, sendIds: ids }));
    for (const id of ids) mark.run(id);
    jobs++;
  }
})();
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({
    sqlite: db.prepare("SELECT sqlite_version()").pluck().get(),
    rules_read: rules.length,
    audience_read: audience.length,
    ledger_rows_written: ledger.length,
    sends_queued: due.length,
    queue_jobs: jobs,
    tick_wall_ms: Math.round(wallMs * 10) / 10,
    cpu_ms: Math.round((cpu.user + cpu.system) / 100) / 10,
  }),
);
db.close();
src.close();
