/**
 * When a recurrence rule happens. The `rrule` package computes in "floating" time (UTC fields = wall
 * time), so it is fed wall times of the task's zone and each occurrence is mapped back through that
 * zone: 09:00 stays 09:00 across DST changes, and a time DST skips moves forward like a due date would.
 */
import rrulePkg, { type Weekday } from "rrule";
import { fromFloating, toFloating } from "./dates.js";
import { type DAYS, type FREQS, normalizeRule, parseParts, untilInstant } from "./recurrence-rule.js";

export { normalizeRule } from "./recurrence-rule.js";

const { RRule } = rrulePkg;
// Far enough for any sensible rule, near enough that a rule that never matches costs milliseconds.
const HORIZON_MS = 100 * 366 * 86_400_000;

function build(rule: string, dtstart: Date, timeZone: string) {
  const p = parseParts(normalizeRule(rule));
  const weekday = (entry: string): Weekday => {
    const day = RRule[entry.slice(-2) as (typeof DAYS)[number]];
    return entry.length > 2 ? day.nth(Number(entry.slice(0, -2))) : day;
  };
  const until = p.UNTIL === undefined ? undefined : untilInstant(p.UNTIL, timeZone);
  return new RRule({
    freq: RRule[p.FREQ as (typeof FREQS)[number]],
    dtstart: toFloating(dtstart, timeZone),
    interval: Number(p.INTERVAL ?? 1),
    count: p.COUNT === undefined ? null : Number(p.COUNT),
    until: until ? toFloating(until, timeZone) : null,
    wkst: p.WKST === undefined ? null : weekday(p.WKST),
    bymonth: p.BYMONTH === undefined ? null : p.BYMONTH.split(",").map(Number),
    bymonthday: p.BYMONTHDAY === undefined ? null : p.BYMONTHDAY.split(",").map(Number),
    byweekday: p.BYDAY === undefined ? null : p.BYDAY.split(",").map(weekday),
  });
}

export interface PreviewOptions {
  /** The first possible occurrence (a task's due date); included only if it matches the rule. */
  start: Date;
  timeZone: string;
  count: number;
}

/** The first `count` occurrences of a rule from `start`, as instants, computed in `timeZone`. */
export function previewOccurrences(rule: string, options: PreviewOptions): Date[] {
  const { start, timeZone, count } = options;
  const from = toFloating(start, timeZone);
  const dates = build(rule, start, timeZone).between(
    from,
    new Date(from.getTime() + HORIZON_MS),
    true,
    (_date, length) => length < count,
  );
  return dates.map((date) => fromFloating(date, timeZone));
}

export interface NextOptions {
  /** The series' first due date: where INTERVAL and COUNT are counted from. */
  dtstart: Date;
  /** The occurrence returned is strictly later than this instant. */
  after: Date;
  timeZone: string;
}

/** The first occurrence strictly after `after`, or null when the series has ended. */
export function nextOccurrence(rule: string, options: NextOptions): Date | null {
  const { dtstart, after, timeZone } = options;
  // Floating and real time differ by the zone's offset: start a day early and compare real instants.
  const from = new Date(toFloating(after, timeZone).getTime() - 86_400_000);
  let found: Date | null = null;
  build(rule, dtstart, timeZone).between(from, new Date(from.getTime() + HORIZON_MS), true, (date) => {
    const instant = fromFloating(date, timeZone);
    if (instant.getTime() > after.getTime()) found = instant;
    return found === null;
  });
  return found;
}
