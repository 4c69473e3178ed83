/**
 * Dates as people hand them to an assistant: ISO 8601 with or without a time or an offset, read in an
 * IANA time zone. Wall-time arithmetic is the runtime's (runtime/schedule/zone.ts: Intl only, so DST rules
 * come from the ICU data Node ships with), with Temporal's "compatible" rule for times DST skips or repeats.
 */
import { fromWallCompatible, toWall } from "../../../runtime/schedule/zone.js";
import { DomainError } from "./errors.js";
import { abbreviationHint } from "./zone-abbreviations.js";

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * Zones ICU still reports under a name IANA has replaced (Node 20 answers "Asia/Calcutta" for
 * "Asia/Kolkata"): people know, and type, the current names. Each pair is the same zone to Intl
 * (dates.test.ts checks), so the mapping never changes a time.
 */
export const CURRENT_ZONE_NAMES: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
  // tzdata 2024b made the POSIX-style US zones links to these cities; Node 24's ICU keeps the old names.
  EST5EDT: "America/New_York",
  CST6CDT: "America/Chicago",
  MST7MDT: "America/Denver",
  PST8PDT: "America/Los_Angeles",
};

/** The canonical spelling of an IANA zone ("europe/berlin" → "Europe/Berlin"), or INVALID_TIME_ZONE. */
export function checkTimeZone(timeZone: string): string {
  const trimmed = timeZone.trim();
  const hint = abbreviationHint(trimmed);
  if (hint !== undefined) {
    throw new DomainError(
      "INVALID_TIME_ZONE",
      `${clip(trimmed)} is an abbreviation, which has no daylight-saving rules of its own; use ${hint}.`,
    );
  }
  // Intl also takes offsets like "+02:00"; a task's zone must be a named one so DST keeps working.
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(trimmed)) {
    try {
      const resolved = new Intl.DateTimeFormat("en-US", { timeZone: trimmed }).resolvedOptions().timeZone;
      return CURRENT_ZONE_NAMES[resolved] ?? resolved;
    } catch {}
  }
  throw new DomainError(
    "INVALID_TIME_ZONE",
    `"${clip(timeZone)}" is not a time zone I know; use an IANA name like Europe/Berlin or America/New_York.`,
  );
}

export function wallTimeOf(instant: Date, timeZone: string): WallTime {
  const wall = new Date(toWall(instant.getTime(), timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
  };
}

const wallAsUtc = (w: WallTime) =>
  Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);

/** The zone's offset from UTC at an instant, in milliseconds. */
const offsetAt = (epochMs: number, timeZone: string): number => toWall(epochMs, timeZone) - epochMs;

/**
 * The instant a wall time names in a zone. Like Temporal's "compatible": a time skipped by a DST jump
 * moves forward by the jump (02:30 → 03:30), and a time that happens twice takes the first.
 */
export function zonedInstant(wall: WallTime, timeZone: string): Date {
  return new Date(fromWallCompatible(wallAsUtc(wall), timeZone));
}

/** 23:59:59 of the day `instant` falls on in the zone: what a date without a time means. */
export function endOfDay(instant: Date, timeZone: string): Date {
  const wall = wallTimeOf(instant, timeZone);
  return zonedInstant({ ...wall, hour: 23, minute: 59, second: 59, millisecond: 0 }, timeZone);
}

/** ISO 8601 with the zone's offset at that instant, e.g. "2025-03-31T09:00:00+02:00". */
export function zonedIso(instant: Date, timeZone: string): string {
  const w = wallTimeOf(instant, timeZone);
  const offset = Math.round(offsetAt(instant.getTime(), timeZone) / 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const zone = `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${zone}`;
}

/**
 * The wall time of an instant as a "floating" Date (its UTC fields are the wall time), the form the
 * `rrule` package computes in; and back, through the zone's rules for that day.
 */
export function toFloating(instant: Date, timeZone: string): Date {
  const w = wallTimeOf(instant, timeZone);
  return new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
}

export function fromFloating(floating: Date, timeZone: string): Date {
  const wall = {
    year: floating.getUTCFullYear(),
    month: floating.getUTCMonth() + 1,
    day: floating.getUTCDate(),
    hour: floating.getUTCHours(),
    minute: floating.getUTCMinutes(),
    second: floating.getUTCSeconds(),
    millisecond: 0,
  };
  return zonedInstant(wall, timeZone);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

export interface DateInputOptions {
  /** Zone for dates without an offset. */
  timeZone: string;
  /** Named in the error sentence, e.g. "due_date". */
  field: string;
  /** A date alone is refused (a reminder at "end of day" helps nobody). */
  requireTime?: boolean;
}

/** Reads an ISO 8601 date or date-time (1900–9999); anything else is INVALID_DUE_DATE with a sentence. */
export function parseDateInput(text: string, options: DateInputOptions): Date {
  const read = readIsoDate(text, options);
  if (read === undefined) throw unreadableIso(text, options.field);
  return read.at;
}

const unreadableIso = (text: string, field: string) =>
  new DomainError(
    "INVALID_DUE_DATE",
    `${field} "${clip(text)}" is not a date I can read; use ISO 8601, like 2025-01-15, ` +
      "2025-01-15T17:00 or 2025-01-15T17:00:00-05:00.",
  );

export interface ReadIsoDate {
  at: Date;
  /** No time of day was given (`at` is then the end of that day in the zone). */
  dateOnly: boolean;
}

/** parseDateInput, also saying whether only a date was given; undefined when the text is not ISO at all. */
export function readIsoDate(text: string, options: DateInputOptions): ReadIsoDate | undefined {
  const { field, timeZone } = options;
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac, offset] = match;
  // Date.UTC reads years 0–99 as 1900–1999; nothing is due that long ago anyway (and \d{4} stops at 9999).
  if (Number(y) < 1900) {
    throw new DomainError("INVALID_DUE_DATE", `${field} "${clip(text)}" is not in the years 1900 to 9999.`);
  }
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: h === undefined ? 23 : Number(h),
    minute: mi === undefined ? 59 : Number(mi),
    second: h === undefined ? 59 : Number(s ?? 0),
    millisecond: Number((frac ?? "").padEnd(3, "0").slice(0, 3)),
  };
  const real =
    wall.month >= 1 &&
    wall.month <= 12 &&
    wall.day >= 1 &&
    wall.day <= daysInMonth(wall.year, wall.month) &&
    wall.hour <= 23 &&
    wall.minute <= 59 &&
    wall.second <= 59;
  if (!real) {
    throw new DomainError("INVALID_DUE_DATE", `${field} "${clip(text)}" is not a real date or time of day.`);
  }
  if (h === undefined && options.requireTime) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `${field} needs a time of day as well as a date, like ${y}-${mo}-${d}T09:00.`,
    );
  }
  const dateOnly = h === undefined;
  if (offset === undefined) return { at: zonedInstant(wall, timeZone), dateOnly };
  if (offset.toUpperCase() === "Z") return { at: new Date(wallAsUtc(wall)), dateOnly };
  const sign = offset.startsWith("-") ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  if (minutes > 14 * 60 || Number(digits.slice(2) || 0) > 59) throw unreadableIso(text, field);
  return { at: new Date(wallAsUtc(wall) - sign * minutes * 60_000), dateOnly };
}

/** 00:00 of the day `instant` falls on in the zone (or the first instant of it, where DST skips midnight). */
export function startOfDay(instant: Date, timeZone: string): Date {
  const wall = wallTimeOf(instant, timeZone);
  return zonedInstant({ ...wall, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export const clip = (text: string, max = 60) => (text.length > max ? `${text.slice(0, max)}…` : text);
