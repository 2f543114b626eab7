// The platform's metric totals: one object sums the deltas every isolate sends in batches
// (src/modules/metrics/flush.ts), so /metrics shows counters aggregated across isolates.
import { DurableObject } from "cloudflare:workers";

export class MetricsStore extends DurableObject {
  private ready = false;

  private sql() {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec("CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, value REAL NOT NULL)");
      this.ready = true;
    }
    return sql;
  }

  async add(deltas: Record<string, number>): Promise<void> {
    // One statement per batch (atomic: a batch lands whole or not at all), not one per series: a
    // request's flush carries a few dozen series, and each exec was a round into SQLite. A value that
    // isn't a finite number is JSON null here and is skipped.
    this.sql().exec(
      `INSERT INTO series (key, value) SELECT d.key, d.value FROM json_each(?) d WHERE d.type IN ('integer', 'real')
       ON CONFLICT(key) DO UPDATE SET value = value + excluded.value`,
      JSON.stringify(deltas),
    );
  }

  async all(): Promise<{ key: string; value: number }[]> {
    return this.sql().exec<{ key: string; value: number }>("SELECT key, value FROM series").toArray();
  }
}
