/**
 * Dates as a person says them to an assistant ("tomorrow 9am", "next friday", "in 2 hours", "Dec 24 at
 * 5pm", "end of month"), read by chrono-node in the task's (or the user's) zone. ISO 8601 is tried first
 * and reads exactly as parseDateInput does.
 *
 * chrono computes in the process's local zone, or at one fixed offset: neither is a zone with DST rules.
 * So it is handed "now" as a floating wall time (the zone's wall clock written as UTC, offset 0), and
 * what it finds is read back as a wall time in the zone through zonedInstant, which knows the zone's DST
 * rules. "In 2 hours" is elapsed time, not wall time: it is added to the real now instead, so it stays
 * two hours across a DST change.
 */
import * as chrono from "chrono-node";
import {
  clip,
  type DateInputOptions,
  endOfDay,
  readIsoDate,
  toFloating,
  type WallTime,
  zonedInstant,
  zonedIso,
} from "./dates.js";
import { DomainError } from "./errors.js";

export const NATURAL_DATE_EXAMPLES =
  '"tomorrow 9am", "next friday", "in 2 hours", "Dec 24 at 5pm" or "end of month"';

export interface ReadDate {
  at: Date;
  /** No time of day was given: `at` is the end of that day in the zone. */
  dateOnly: boolean;
  /** Read from words rather than ISO 8601. */
  natural: boolean;
}

export interface NaturalDateOptions extends DateInputOptions {
  /** The instant "tomorrow" and "in 2 hours" count from; the clock by default. */
  now?: Date | undefined;
}

/** Phrases chrono has no parser for, said the way it reads them. */
const SYNONYMS: ReadonlyArray<[RegExp, string]> = [
  [/^(?:eod|end of (?:the )?day|end of today|by end of day)$/i, "today"],
  [/^(?:eom|end of (?:the )?month)$/i, "end of this month"],
];

// The time zone names and offsets chrono accepts inside a date; an abbreviation (EST, CET) has no DST
// rules of its own, so it is refused as the time_zone field refuses it.
const OFFSET_IN_TEXT = /(?:[+-]\d{1,2}(?::?\d{2})?|\b(?:utc|gmt|z))\s*$/i;

/**
 * Reads a due date, a reminder time or a list filter: ISO 8601 as before, or English words. Anything
 * else is INVALID_DUE_DATE with examples of what works.
 */
export function readDateInput(text: string, options: NaturalDateOptions): ReadDate {
  const iso = readIsoDate(text, options);
  if (iso !== undefined) return { ...iso, natural: false };
  const { field, timeZone } = options;
  const now = options.now ?? new Date();
  const trimmed = text.trim().replace(/[.!]+$/, "");
  const phrase = SYNONYMS.find(([pattern]) => pattern.test(trimmed))?.[1] ?? trimmed;
  const floatingNow = new Date(toFloating(now, timeZone).getTime() + now.getUTCMilliseconds());
  const results = chrono.en.casual.parse(
    phrase,
    { instant: floatingNow, timezone: 0 },
    { forwardDate: true },
  );
  const [result] = results;
  // The whole text must be the date: "tomorrow or friday" or "call mom tomorrow" is not one.
  const rest = result
    ? `${phrase.slice(0, result.index)}${phrase.slice(result.index + result.text.length)}`
    : "";
  if (!result || results.length > 1 || /[\p{L}\p{N}]/u.test(rest) || result.end !== null) {
    throw unreadable(text, field);
  }
  const start = result.start;
  const tags = start.tags();
  // 03/04 is March 4 to some and April 3 to others: only ISO says which.
  if (tags.has("parser/SlashDateFormatParser")) {
    throw new DomainError(
      "INVALID_DUE_DATE",
      `${field} "${clip(text)}" could be day/month or month/day; write the date as ISO 8601, like 2025-01-15.`,
    );
  }
  let at: Date;
  let dateOnly = false;
  if (tags.has("casualReference/now")) {
    at = now;
  } else if (tags.has("result/relativeDateAndTime")) {
    // "in 2 hours": elapsed time from the real now.
    at = new Date(now.getTime() + (start.date().getTime() - floatingNow.getTime()));
  } else if (start.isCertain("timezoneOffset")) {
    if (!OFFSET_IN_TEXT.test(result.text)) {
      throw new DomainError(
        "INVALID_DUE_DATE",
        `${field} "${clip(text)}" names a time zone abbreviation, which has no daylight-saving rules; ` +
          "leave it out (the date is read in the task's time_zone) or give an offset like +01:00.",
      );
    }
    at = start.date();
  } else {
    dateOnly = !start.isCertain("hour");
    const get = (component: Parameters<typeof start.get>[0]) => start.get(component) ?? 0;
    const wall: WallTime = {
      year: get("year"),
      month: get("month"),
      day: get("day"),
      hour: get("hour"),
      minute: get("minute"),
      second: get("second"),
      millisecond: 0,
    };
    at = dateOnly ? endOfDay(zonedInstant(wall, timeZone), timeZone) : zonedInstant(wall, timeZone);
  }
  if (dateOnly && options.requireTime) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `${field} needs a time of day as well as a date, like "${trimmed} 9am" or ${zonedIso(at, timeZone).slice(0, 10)}T09:00.`,
    );
  }
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1900 || at.getUTCFullYear() > 9999) {
    throw unreadable(text, field);
  }
  return { at, dateOnly, natural: true };
}

const unreadable = (text: string, field: string) =>
  new DomainError(
    "INVALID_DUE_DATE",
    `${field} "${clip(text)}" is not a date I can read; use ISO 8601 (2025-01-15, 2025-01-15T17:00 or ` +
      `2025-01-15T17:00:00-05:00) or words like ${NATURAL_DATE_EXAMPLES}.`,
  );
