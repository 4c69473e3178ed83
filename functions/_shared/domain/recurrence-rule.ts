/**
 * What a recurrence rule may say: RFC 5545 RRULEs limited to what a task needs (FREQ DAILY to YEARLY,
 * INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, WKST, COUNT, UNTIL), or English the `rrule` package reads.
 * Every accepted rule has one canonical spelling, which is what tasks store and return; anything
 * else is INVALID_RECURRENCE_RULE with a sentence saying what to change.
 */
import rrulePkg, { type Options } from "rrule";
import { clip, daysInMonth, parseDateInput } from "./dates.js";
import { DomainError } from "./errors.js";

const { RRule } = rrulePkg;

export const FREQS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"] as const;
export const DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
const PARTS = ["FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "WKST", "COUNT", "UNTIL"] as const;

type Part = (typeof PARTS)[number];

const invalid = (why: string) => new DomainError("INVALID_RECURRENCE_RULE", why);

/**
 * The canonical RRULE for an RRULE string (with or without "RRULE:") or an English phrase such as
 * "every weekday"; anything else is INVALID_RECURRENCE_RULE with a sentence saying why.
 */
export function normalizeRule(input: string): string {
  const text = input.trim().replace(/^RRULE:/i, "");
  if (text === "") throw invalid("The recurrence rule is empty; give an RRULE like FREQ=WEEKLY;BYDAY=MO.");
  if (text.length > 500) throw invalid("That recurrence rule is too long (500 characters at most).");
  if (/^DTSTART/i.test(text)) throw invalid("Leave DTSTART out: a task's rule starts at its due date.");
  if (/^[A-Z]+=/i.test(text)) return render(parseParts(text));
  let options: Partial<Options> | null = null;
  try {
    options = RRule.parseText(everyPhrase(text));
  } catch {}
  if (!options || options.freq === undefined) {
    throw invalid(
      `I cannot read "${clip(text)}" as a recurrence. Use an RRULE (FREQ=DAILY, FREQ=WEEKLY;BYDAY=MO,WE, ` +
        'FREQ=MONTHLY;BYMONTHDAY=15) or English like "every weekday" or "every 2 weeks on monday".',
    );
  }
  // English "until January 1, 2027" means through that day, wherever the user is.
  const rrule = RRule.optionsToString(options)
    .replace(/^RRULE:/, "")
    .replace(/UNTIL=(\d{8})T000000Z/, "UNTIL=$1");
  return render(parseParts(rrule));
}

// People say "daily" or "weekly on Monday"; the rrule package only reads "every …".
const ADVERBS: Record<string, string> = {
  daily: "every day",
  weekly: "every week",
  fortnightly: "every 2 weeks",
  biweekly: "every 2 weeks",
  monthly: "every month",
  yearly: "every year",
  annually: "every year",
};

/** "weekly on monday" → "every week on monday"; other text as it is. */
function everyPhrase(text: string): string {
  return text.replace(/^([a-z]+)\b/i, (word) => ADVERBS[word.toLowerCase()] ?? word);
}

export type Parts = Partial<Record<Part, string>>;

export function parseParts(text: string): Parts {
  const parts: Parts = {};
  for (const piece of text.toUpperCase().split(";")) {
    if (piece === "") continue;
    const [key = "", value = "", extra] = piece.split("=");
    if (extra !== undefined || value === "") throw invalid(`"${clip(piece)}" is not a KEY=VALUE rule part.`);
    if (key === "BYHOUR" || key === "BYMINUTE" || key === "BYSECOND") {
      throw invalid(`${key} is not supported: the time of day comes from the task's due date.`);
    }
    if (!(PARTS as readonly string[]).includes(key)) {
      throw invalid(`${clip(key)} is not supported; use ${PARTS.join(", ")}.`);
    }
    if (parts[key as Part] !== undefined) throw invalid(`${key} appears twice.`);
    parts[key as Part] = value;
  }
  check(parts);
  return parts;
}

function check(p: Parts): void {
  const freq = p.FREQ;
  if (freq === undefined) throw invalid("A rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY).");
  if (!(FREQS as readonly string[]).includes(freq)) {
    throw invalid(`FREQ=${clip(freq)} is not supported: tasks repeat DAILY, WEEKLY, MONTHLY or YEARLY.`);
  }
  if (p.INTERVAL !== undefined) p.INTERVAL = String(integer("INTERVAL", p.INTERVAL, 1, 999));
  if (p.COUNT !== undefined) p.COUNT = String(integer("COUNT", p.COUNT, 1, 10_000));
  if (p.COUNT !== undefined && p.UNTIL !== undefined) throw invalid("Give COUNT or UNTIL, not both.");
  if (p.UNTIL !== undefined && !untilInstant(p.UNTIL, "UTC")) {
    throw invalid(`UNTIL=${clip(p.UNTIL)} is not a date like 20271231 or 20271231T170000Z.`);
  }
  if (p.WKST !== undefined && !(DAYS as readonly string[]).includes(p.WKST)) {
    throw invalid(`WKST=${clip(p.WKST)} is not a day (MO…SU).`);
  }
  const months = p.BYMONTH === undefined ? [] : list("BYMONTH", p.BYMONTH, (m) => inRange(m, 1, 12));
  const monthDays =
    p.BYMONTHDAY === undefined ? [] : list("BYMONTHDAY", p.BYMONTHDAY, (d) => inRange(Math.abs(d), 1, 31));
  if (monthDays.length > 0 && freq === "WEEKLY") throw invalid("BYMONTHDAY cannot be used with FREQ=WEEKLY.");
  if (months.length > 0) p.BYMONTH = months.join(",");
  if (monthDays.length > 0) p.BYMONTHDAY = monthDays.join(",");
  if (p.BYDAY !== undefined) p.BYDAY = checkDays(p.BYDAY, freq);
  // A leap day is real; "February 30" is not, and would make the rule search for centuries.
  if (months.length > 0 && monthDays.length > 0) {
    const possible = months.some((m) => monthDays.some((d) => Math.abs(d) <= daysInMonth(2024, m)));
    if (!possible) throw invalid("That rule never happens: none of its months has that day.");
  }
}

function checkDays(value: string, freq: string): string {
  const ordinals = freq === "MONTHLY" ? 5 : freq === "YEARLY" ? 53 : 0;
  const days = value.split(",").map((entry) => {
    const match = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(entry);
    if (!match) throw invalid(`BYDAY=${clip(value)}: "${clip(entry)}" is not a day like MO or -1FR.`);
    const n = match[1] === undefined ? 0 : Number(match[1]);
    if (match[1] !== undefined && (n === 0 || Math.abs(n) > ordinals)) {
      throw invalid(
        ordinals === 0
          ? `BYDAY=${clip(value)}: numbered days like 1MO only work with MONTHLY or YEARLY.`
          : `BYDAY=${clip(value)}: ${match[1]} is out of range for FREQ=${freq}.`,
      );
    }
    return { n, day: DAYS.indexOf(match[2] as (typeof DAYS)[number]) };
  });
  const unique = new Map(days.map((d) => [`${d.n}${d.day}`, d]));
  return [...unique.values()]
    .sort((a, b) => a.day - b.day || a.n - b.n)
    .map((d) => `${d.n === 0 ? "" : d.n}${DAYS[d.day]}`)
    .join(",");
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!inRange(n, min, max))
    throw invalid(`${name}=${clip(value)} must be a whole number from ${min} to ${max}.`);
  return n;
}

function list(name: string, value: string, ok: (n: number) => boolean): number[] {
  const numbers = value
    .split(",")
    .map((entry) => (/^[+-]?\d{1,2}$/.test(entry) ? Number(entry) : Number.NaN));
  if (numbers.some((n) => !ok(n))) throw invalid(`${name}=${clip(value)} has a value out of range.`);
  return [...new Set(numbers)].sort((a, b) => a - b);
}

const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

const UNTIL = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/;

/**
 * UNTIL read like a due date: a date alone is the end of that day in the task's zone, a time with Z an
 * instant, a time without one wall time in the zone. Undefined when it is not a real date.
 */
export function untilInstant(value: string, timeZone: string): Date | undefined {
  const match = UNTIL.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, z] = match;
  const iso = h === undefined ? `${y}-${mo}-${d}` : `${y}-${mo}-${d}T${h}:${mi}:${s}${z}`;
  try {
    return parseDateInput(iso, { timeZone, field: "UNTIL" });
  } catch {
    return undefined;
  }
}

function render(p: Parts): string {
  if (p.INTERVAL === "1") delete p.INTERVAL;
  if (p.WKST === "MO") delete p.WKST;
  return PARTS.filter((key) => p[key] !== undefined)
    .map((key) => `${key}=${p[key]}`)
    .join(";");
}
