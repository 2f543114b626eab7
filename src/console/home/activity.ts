// Conversations started per day over the last days, from the conversation list (pure, unit-tested).

/** Day keys (YYYY-MM-DD, UTC) from the oldest to today. */
export function lastDays(days: number, now: Date): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export function startedPerDay(createdAts: string[], days: number, now: Date): { days: string[]; counts: number[] } {
  const keys = lastDays(days, now);
  const index = new Map(keys.map((k, i) => [k, i]));
  const counts = keys.map(() => 0);
  for (const at of createdAts) {
    const i = index.get(at.slice(0, 10));
    if (i !== undefined) counts[i]!++;
  }
  return { days: keys, counts };
}
