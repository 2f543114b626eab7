// The detailed analytics response as chart columns and as CSV (pure, unit-tested).

export interface DetailedPoint {
  date: string;
  value: number | null;
  segments?: Record<string, number | null>;
}

export interface Columns {
  /** Bucket starts, Unix seconds (uPlot's x). */
  xs: number[];
  series: { label: string; values: (number | null)[] }[];
}

/** "2026-12-01" (day/week), "2026-12-01T13" (hour), "2026-12" (month) → Unix seconds, UTC. */
export function bucketSeconds(bucket: string): number {
  const iso = bucket.length === 7 ? `${bucket}-01T00:00:00Z` : bucket.length === 13 ? `${bucket}:00:00Z` : `${bucket}T00:00:00Z`;
  return Date.parse(iso) / 1000;
}

/**
 * One series per segment (channel, program, new/returning; in a stable order), or the total alone
 * when there are no segments. A segment absent from a bucket had none of a count (0); a ratio there
 * is undefined (null, a gap). `labels` names segment keys (a program id → its name).
 */
export function toColumns(data: DetailedPoint[], opts: { ratio?: boolean; labels?: Record<string, string> } = {}): Columns {
  const xs = data.map((d) => bucketSeconds(d.date));
  const keys = [...new Set(data.flatMap((d) => Object.keys(d.segments ?? {})))].sort();
  if (!keys.length) return { xs, series: [{ label: "All", values: data.map((d) => d.value) }] };
  const absent = opts.ratio ? null : 0;
  return { xs, series: keys.map((k) => ({ label: opts.labels?.[k] ?? k, values: data.map((d) => (d.segments && k in d.segments ? d.segments[k]! : absent)) })) };
}

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** bucket, total, then one column per segment (named by its label when given). */
export function toCsv(metric: string, data: DetailedPoint[], labels?: Record<string, string>): string {
  const channels = [...new Set(data.flatMap((d) => Object.keys(d.segments ?? {})))].sort();
  const head = ["bucket", metric, ...channels.map((c) => `${metric}_${labels?.[c] ?? c}`)];
  const rows = data.map((d) => [d.date, d.value, ...channels.map((c) => d.segments?.[c] ?? null)]);
  return [head, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
}
