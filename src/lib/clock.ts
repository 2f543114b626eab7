// Time as ISO-8601 UTC strings (what D1 stores and the API returns), and the injectable clock.
export const nowIso = (): string => new Date().toISOString();
export const isoIn = (ms: number): string => new Date(Date.now() + ms).toISOString();
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * The clock of the time-driven modules (programs, proactive engine). Tests move it to drive
 * multi-day programs and schedules; everything else keeps real time (tokens, rate limits).
 */
let override: (() => number) | null = null;

export const clock = {
  now: (): number => (override ? override() : Date.now()),
  iso: (): string => new Date(override ? override() : Date.now()).toISOString(),
};

/** Tests only: pin the clock to an instant (or a function); null restores real time. */
export function setClock(at: number | string | Date | (() => number) | null): void {
  if (at === null) override = null;
  else if (typeof at === "function") override = at;
  else {
    const ms = new Date(at).getTime();
    override = () => ms;
  }
}
