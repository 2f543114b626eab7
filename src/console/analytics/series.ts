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
 * One series per channel (in a stable order), or the total alone when there are no segments. A
 * channel absent from a bucket had none of a count (0); a ratio there is undefined (null, a gap).
 */
export function toColumns(data: DetailedPoint[], opts: { ratio?: boolean } = {}): Columns {
  const xs = data.map((d) => bucketSeconds(d.date));
  const channels = [...new Set(data.flatMap((d) => Object.keys(d.segments ?? {})))].sort();
  if (!channels.length) return { xs, series: [{ label: "All channels", values: data.map((d) => d.value) }] };
  const absent = opts.ratio ? null : 0;
  return { xs, series: channels.map((ch) => ({ label: ch, values: data.map((d) => (d.segments && ch in d.segments ? d.segments[ch]! : absent)) })) };
}

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** bucket, total, then one column per channel. */
export function toCsv(metric: string, data: DetailedPoint[]): string {
  const channels = [...new Set(data.flatMap((d) => Object.keys(d.segments ?? {})))].sort();
  const head = ["bucket", metric, ...channels.map((c) => `${metric}_${c}`)];
  const rows = data.map((d) => [d.date, d.value, ...channels.map((c) => d.segments?.[c] ?? null)]);
  return [head, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
}
