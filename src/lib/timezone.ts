// Wall-clock arithmetic in IANA timezones with the runtime's Intl data (no tz database shipped).
export interface LocalParts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday .. 6 = Saturday
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimezone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** A safe zone name: unknown or missing zones fall back to UTC. */
export const zoneOrUtc = (tz: string | null | undefined): string => (tz && isValidTimezone(tz) ? tz : "UTC");

export function localParts(ms: number, tz: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday!] ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in ms (Berlin in summer: +2 h). */
function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * localParts for instants in [from, to], cheaper: when the zone's offset is the same at both ends
 * (no DST change in between — changes are months apart, so only windows under a week take this
 * path) every instant is its UTC clock shifted by that offset, with no Intl call per instant.
 */
export function localPartsBetween(from: number, to: number, tz: string): (ms: number) => LocalParts {
  const offset = offsetAt(to, tz);
  if (to - from > 7 * 24 * 3_600_000 || offsetAt(from, tz) !== offset) return (ms) => localParts(ms, tz);
  return (ms) => {
    const d = new Date(ms + offset);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
  };
}

/**
 * The instant at which the wall clock of `tz` shows the given local time. A time skipped by a
 * spring-forward gap maps to the instant just after the gap (02:30 → 03:30); an ambiguous
 * autumn time maps to its first occurrence.
 */
export function localToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - offsetAt(wall, tz);
  const second = wall - offsetAt(guess, tz);
  if (second !== guess) {
    // Either a DST edge or a gap: prefer the earlier candidate that really shows the wall time.
    const a = Math.min(guess, second);
    const b = Math.max(guess, second);
    guess = a + offsetAt(a, tz) === wall ? a : b + offsetAt(b, tz) === wall ? b : Math.max(guess, second);
  }
  return guess;
}

export const localDate = (ms: number, tz: string): string => {
  const p = localParts(ms, tz);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
};

export function parseHHMM(value: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) throw new Error(`not a HH:MM time: ${value}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The same wall-clock time `days` local days later (a day across a DST change is 23 or 25 h). */
export function addLocalDays(ms: number, days: number, tz: string): number {
  const p = localParts(ms, tz);
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return localToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), p.hour, p.minute, tz) + p.second * 1000;
}

/** The first instant strictly after `ms` at which the local clock shows HH:MM. */
export function nextLocalTime(ms: number, hhmm: string, tz: string): number {
  const { hour, minute } = parseHHMM(hhmm);
  const p = localParts(ms, tz);
  for (let add = 0; add < 3; add++) {
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day + add));
    const at = localToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), hour, minute, tz);
    if (at > ms) return at;
  }
  throw new Error("unreachable: a local time recurs within two days");
}

/** Minutes since local midnight. */
export const localMinuteOfDay = (ms: number, tz: string): number => {
  const p = localParts(ms, tz);
  return p.hour * 60 + p.minute;
};

/**
 * Quiet hours [start, end) in local time, possibly across midnight (21:00–08:00). Returns the
 * instant they end when `ms` falls inside them, else null.
 */
export function quietHoursEnd(ms: number, tz: string, start: string, end: string): number | null {
  const s = parseHHMM(start);
  const e = parseHHMM(end);
  const startMin = s.hour * 60 + s.minute;
  const endMin = e.hour * 60 + e.minute;
  if (startMin === endMin) return null;
  const now = localMinuteOfDay(ms, tz);
  const inside = startMin < endMin ? now >= startMin && now < endMin : now >= startMin || now < endMin;
  return inside ? nextLocalTime(ms, end, tz) : null;
}
