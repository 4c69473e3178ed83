/**
 * Job schedules as the Dapr scheduler parses them (`dapr/kit/cron`, a robfig/cron fork, with
 * `Second|Minute|Hour|Dom|Month|Dow|Descriptor`): 6-field cron with a mandatory seconds field,
 * the `@yearly`… descriptors, `@every <Go duration>`, and an optional `TZ=`/`CRON_TZ=` prefix.
 * Written here rather than pulled from npm because every cron package differs from robfig in some
 * corner (5 vs 6 fields, `N/step`, the day-of-month/day-of-week OR rule) and we want daprd's answers.
 */
import { parseGoDuration } from "./duration.js";
import { Zone } from "./zone.js";

export interface Schedule {
  /** The first activation strictly after `after`, or undefined when none exists within five years. */
  next(after: Date): Date | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const BOUNDS: Bounds[] = [
  { min: 0, max: 59 }, // second
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DOW_NAMES.map((n, i) => [n, i])) }, // robfig: no 7
];

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

/** Parses a schedule; throws an Error whose message says what is wrong (daprd returns it as a 500). */
export function parseSchedule(spec: string): Schedule {
  if (spec === "") throw new Error("empty spec string");
  let rest = spec;
  let timeZone: string | undefined;
  if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
    const space = rest.search(/\s/);
    if (space === -1) throw new Error(`timezone prefix ${spec} is not followed by a schedule`);
    timeZone = rest.slice(rest.indexOf("=") + 1, space);
    rest = rest.slice(space).trim();
  }
  const zone = new Zone(timeZone);
  if (rest.startsWith("@every ")) {
    const ms = parseGoDuration(rest.slice("@every ".length));
    if (ms === undefined) throw new Error(`failed to parse duration ${rest}`);
    return everySchedule(ms);
  }
  if (rest.startsWith("@")) {
    const fields = DESCRIPTORS[rest];
    if (fields === undefined) throw new Error(`unrecognized descriptor: ${rest}`);
    rest = fields;
  }
  const fields = rest.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 6) throw new Error(`expected exactly 6 fields, found ${fields.length}: ${rest}`);
  const parsed = fields.map((field, i) => parseField(field, BOUNDS[i] as Bounds));
  return new SpecSchedule(parsed, zone);
}

// kit/cron `Every`: below 1 ms rounds up to 1 ms, sub-millisecond parts are truncated, and the next
// activation is simply last + delay (no alignment to the clock).
function everySchedule(ms: number): Schedule {
  const delay = ms < 1 ? 1 : Math.floor(ms);
  return { next: (after) => new Date(Math.floor(after.getTime()) + delay) };
}

interface Field {
  allowed: boolean[];
  /** Set when the expression starts with `*` or `?` (and has no step > 1): drives the dom/dow rule. */
  star: boolean;
}

function parseField(field: string, bounds: Bounds): Field {
  const allowed = new Array<boolean>(bounds.max + 1).fill(false);
  let star = false;
  for (const expr of field.split(",").filter((e) => e !== "")) {
    const [range = "", stepText, extra] = expr.split("/");
    if (extra !== undefined) throw new Error(`too many slashes: ${expr}`);
    const lowHigh = range.split("-");
    let start: number;
    let end: number;
    let exprStar = false;
    if (lowHigh[0] === "*" || lowHigh[0] === "?") {
      [start, end, exprStar] = [bounds.min, bounds.max, true];
    } else {
      if (lowHigh.length > 2) throw new Error(`too many hyphens: ${expr}`);
      start = parseValue(lowHigh[0] ?? "", bounds);
      end = lowHigh.length === 2 ? parseValue(lowHigh[1] ?? "", bounds) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseValue(stepText);
      // robfig: "N/step" means "N-max/step".
      if (lowHigh.length === 1) end = bounds.max;
      if (step > 1) exprStar = false;
    }
    if (start < bounds.min)
      throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
    if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
    if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
    for (let v = start; v <= end; v += step) allowed[v] = true;
    star ||= exprStar;
  }
  return { allowed, star };
}

function parseValue(text: string, bounds?: Bounds): number {
  const named = bounds?.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`failed to parse int from ${text}`);
  const n = Number(text);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${text}`);
  return n;
}

class SpecSchedule implements Schedule {
  constructor(
    private readonly fields: Field[],
    private readonly zone: Zone,
  ) {}

  next(after: Date): Date | undefined {
    // Start at the next whole second; retry when a DST overlap maps the found wall time back in time.
    let from = Math.floor(this.zone.toWall(after.getTime()) / 1000) * 1000 + 1000;
    for (let guard = 0; guard < 10; guard++) {
      const wall = this.nextWall(from);
      if (wall === undefined) return undefined;
      const instant = this.zone.fromWall(wall);
      if (instant > after.getTime()) return new Date(instant);
      from = wall + 1000;
    }
    return undefined;
  }

  // robfig's SpecSchedule.Next, field by field, on wall-clock fields (see Zone).
  private nextWall(from: number): number | undefined {
    const [sec, min, hour, , month] = this.fields as [Field, Field, Field, Field, Field, Field];
    const t = new Date(from);
    const yearLimit = t.getUTCFullYear() + 5;
    // Each increment resets the smaller fields, as robfig does on its first increment.
    wrap: while (t.getUTCFullYear() <= yearLimit) {
      while (!month.allowed[t.getUTCMonth() + 1]) {
        t.setUTCHours(0, 0, 0, 0);
        t.setUTCDate(1);
        t.setUTCMonth(t.getUTCMonth() + 1);
        if (t.getUTCMonth() === 0) continue wrap;
      }
      while (!this.dayMatches(t)) {
        t.setUTCHours(0, 0, 0, 0);
        t.setUTCDate(t.getUTCDate() + 1);
        if (t.getUTCDate() === 1) continue wrap;
      }
      while (!hour.allowed[t.getUTCHours()]) {
        t.setUTCMinutes(0, 0, 0);
        t.setUTCHours(t.getUTCHours() + 1);
        if (t.getUTCHours() === 0) continue wrap;
      }
      while (!min.allowed[t.getUTCMinutes()]) {
        t.setUTCSeconds(0, 0);
        t.setUTCMinutes(t.getUTCMinutes() + 1);
        if (t.getUTCMinutes() === 0) continue wrap;
      }
      while (!sec.allowed[t.getUTCSeconds()]) {
        t.setUTCMilliseconds(0);
        t.setUTCSeconds(t.getUTCSeconds() + 1);
        if (t.getUTCSeconds() === 0) continue wrap;
      }
      return t.getTime();
    }
    return undefined;
  }

  // robfig: if either field starts with * the day must match both, otherwise either one.
  private dayMatches(t: Date): boolean {
    const dom = this.fields[3] as Field;
    const dow = this.fields[5] as Field;
    const domMatch = dom.allowed[t.getUTCDate()] === true;
    const dowMatch = dow.allowed[t.getUTCDay()] === true;
    return dom.star || dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }
}
