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
    const sql = this.sql();
    // One transaction per batch: a batch lands whole or not at all.
    this.ctx.storage.transactionSync(() => {
      for (const [key, value] of Object.entries(deltas)) {
        if (!Number.isFinite(value)) continue;
        sql.exec("INSERT INTO series (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value", key, value);
      }
    });
  }

  async all(): Promise<{ key: string; value: number }[]> {
    return this.sql().exec<{ key: string; value: number }>("SELECT key, value FROM series").toArray();
  }
}
