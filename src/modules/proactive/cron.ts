// Five-field cron expressions (minute hour day-of-month month day-of-week), matched against a
// wall-clock time: the proactive engine evaluates them in each user's timezone.
import type { LocalParts } from "../../lib/timezone";

const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function parseField(field: string, [min, max]: [number, number]): Set<number> | null {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const step = m[4] ? Number(m[4]) : 1;
    const from = m[1] === "*" ? min : Number(m[2]);
    const to = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : from;
    if (step < 1 || from < min || to > max || from > to) return null;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

/** null when the expression is not a valid five-field cron. */
export function parseCron(expr: string): Cron | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const sets = fields.map((f, i) => parseField(f, RANGES[i]!));
  if (sets.some((s) => !s)) return null;
  const weekdays = sets[4]!;
  if (weekdays.has(7)) weekdays.add(0); // 7 is Sunday too
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    days: sets[2]!,
    months: sets[3]!,
    weekdays,
    dayRestricted: fields[2] !== "*",
    weekdayRestricted: fields[4] !== "*",
  };
}

export function cronMatches(cron: Cron, t: LocalParts): boolean {
  if (!cron.minutes.has(t.minute) || !cron.hours.has(t.hour) || !cron.months.has(t.month)) return false;
  // Classic cron: when both day fields are restricted, either one matching is enough.
  const dom = cron.days.has(t.day);
  const dow = cron.weekdays.has(t.weekday);
  if (cron.dayRestricted && cron.weekdayRestricted) return dom || dow;
  return dom && dow;
}
