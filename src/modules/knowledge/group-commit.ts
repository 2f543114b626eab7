// Group commit for ingestion's D1 work. The documents of one queue batch are ingested side by side
// (src/jobs/consumer.ts runs up to JOB_CONCURRENCY messages at once), and each used to make its own
// D1 round trips, which the database serves one at a time. Here, while one D1 batch is in flight,
// the statements that arrive wait and then go together as the next batch: one round trip (and one
// transaction) for many documents, and no waiting when only one document is being ingested.
// A combined batch that fails is retried caller by caller, so one document's error stays its own.

interface Waiting {
  statements: D1PreparedStatement[];
  resolve: (results: D1Result[]) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  waiting: Waiting[];
  busy: boolean;
}

const lanes = new WeakMap<D1Database, Lane>();
/** Statements per combined batch: large enough for 50 two-chunk documents, small enough to keep a transaction short. */
const MAX_STATEMENTS = 400;

/** Runs `statements` as one D1 batch (a transaction of their own), possibly combined with other callers'. */
export function groupBatch<T = unknown>(db: D1Database, statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
  let lane = lanes.get(db);
  if (!lane) {
    lane = { waiting: [], busy: false };
    lanes.set(db, lane);
  }
  const promise = new Promise<D1Result[]>((resolve, reject) => lane.waiting.push({ statements, resolve, reject }));
  if (!lane.busy) void drain(db, lane);
  return promise as Promise<D1Result<T>[]>;
}

async function drain(db: D1Database, lane: Lane): Promise<void> {
  lane.busy = true;
  try {
    while (lane.waiting.length) {
      const group: Waiting[] = [];
      let count = 0;
      while (lane.waiting.length && (group.length === 0 || count + lane.waiting[0]!.statements.length <= MAX_STATEMENTS)) {
        const next = lane.waiting.shift()!;
        group.push(next);
        count += next.statements.length;
      }
      await run(db, group);
    }
  } finally {
    lane.busy = false;
  }
}

async function run(db: D1Database, group: Waiting[]): Promise<void> {
  if (group.length === 1) {
    const [only] = group;
    try {
      only!.resolve(await db.batch(only!.statements));
    } catch (err) {
      only!.reject(err);
    }
    return;
  }
  try {
    const results = await db.batch(group.flatMap((g) => g.statements));
    let at = 0;
    for (const g of group) {
      g.resolve(results.slice(at, at + g.statements.length));
      at += g.statements.length;
    }
  } catch {
    // The combined transaction wrote nothing: each caller's statements again, on their own.
    for (const g of group) {
      try {
        g.resolve(await db.batch(g.statements));
      } catch (err) {
        g.reject(err);
      }
    }
  }
}
