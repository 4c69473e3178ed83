import { describe, expect, it } from "vitest";
import { zonedIso } from "./dates.js";
import { DomainError } from "./errors.js";
import { readDateInput } from "./natural-dates.js";

/** How `text` reads in `timeZone` at `now`, as ISO with the zone's offset. */
const read = (text: string, timeZone: string, now: string, requireTime = false) => {
  const result = readDateInput(text, { timeZone, field: "due_date", now: new Date(now), requireTime });
  return zonedIso(result.at, timeZone);
};

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
};

describe("readDateInput", () => {
  // Saturday 7 March 2026, 20:30 in Berlin; New York is at 14:30, Tokyo already at Sunday 04:30.
  const now = "2026-03-07T19:30:00Z";

  it("reads the issue's phrases in the zone, as wall times there", () => {
    const cases: Array<[string, string, string]> = [
      ["tomorrow 9am", "Europe/Berlin", "2026-03-08T09:00:00+01:00"],
      ["tomorrow 9am", "America/New_York", "2026-03-08T09:00:00-04:00"],
      ["tomorrow 9am", "Asia/Tokyo", "2026-03-09T09:00:00+09:00"],
      ["next friday", "Europe/Berlin", "2026-03-13T23:59:59+01:00"],
      ["in 2 hours", "Asia/Tokyo", "2026-03-08T06:30:00+09:00"],
      ["Dec 24 at 5pm", "America/New_York", "2026-12-24T17:00:00-05:00"],
      ["end of month", "Europe/Berlin", "2026-03-31T23:59:59+02:00"],
      ["end of day", "America/Los_Angeles", "2026-03-07T23:59:59-08:00"],
      ["today", "Asia/Tokyo", "2026-03-08T23:59:59+09:00"],
      ["friday 17:00", "Australia/Sydney", "2026-03-13T17:00:00+11:00"],
      ["tomorrow at 9am +02:00", "Europe/Berlin", "2026-03-08T08:00:00+01:00"],
    ];
    for (const [text, zone, expected] of cases)
      expect(read(text, zone, now), `${text} in ${zone}`).toBe(expected);
  });

  it("keeps wall times across a DST change and elapsed time for 'in N hours'", () => {
    // New York springs forward at 02:00 on 8 March 2026; it is 01:30 EST.
    const beforeJump = "2026-03-08T06:30:00Z";
    expect(read("in 2 hours", "America/New_York", beforeJump)).toBe("2026-03-08T04:30:00-04:00");
    expect(read("today 9am", "America/New_York", beforeJump)).toBe("2026-03-08T09:00:00-04:00");
    // 02:30 does not exist that night: it moves forward by the jump, as ISO input does.
    expect(read("today at 2:30am", "America/New_York", beforeJump)).toBe("2026-03-08T03:30:00-04:00");
    // Berlin falls back on 25 October 2026; "tomorrow 9am" the day before is CET again.
    expect(read("tomorrow 9am", "Europe/Berlin", "2026-10-24T10:00:00Z")).toBe("2026-10-25T09:00:00+01:00");
  });

  it("leaves ISO 8601 exactly as parseDateInput reads it", () => {
    const result = readDateInput("2025-01-15", { timeZone: "Europe/Berlin", field: "due_date" });
    expect(result).toEqual({ at: new Date("2025-01-15T22:59:59Z"), dateOnly: true, natural: false });
    expect(read("2025-01-15T17:00:00-05:00", "Europe/Berlin", now)).toBe("2025-01-15T23:00:00+01:00");
  });

  it("says whether a time of day was given", () => {
    const opts = { timeZone: "UTC", field: "due_date", now: new Date(now) };
    expect(readDateInput("next monday", opts).dateOnly).toBe(true);
    expect(readDateInput("next monday at 10:00", opts).dateOnly).toBe(false);
    expect(readDateInput("in 3 hours", opts)).toMatchObject({ dateOnly: false, natural: true });
  });

  it("refuses what is not one date, with examples that work", () => {
    for (const text of ["whenever", "call mom tomorrow", "tomorrow or friday", ""]) {
      expect(
        errorOf(() => read(text, "UTC", now)),
        text,
      ).toMatch(/^INVALID_DUE_DATE: due_date ".*" is not a date I can read; .*"tomorrow 9am"/);
    }
  });

  it("refuses a time zone abbreviation inside the text (EST has no DST rules)", () => {
    expect(errorOf(() => read("tomorrow 9am EST", "America/New_York", now))).toMatch(
      /^INVALID_DUE_DATE: .*time zone abbreviation/,
    );
  });

  it("asks for a time of day where one is needed", () => {
    expect(errorOf(() => read("tomorrow", "UTC", now, true))).toMatch(
      /^VALIDATION_ERROR: due_date needs a time of day as well as a date, like "tomorrow 9am"/,
    );
  });

  it("reads the same whatever zone the process runs in", () => {
    // chrono computes in the process's zone; the floating reference must make that irrelevant.
    const before = process.env.TZ;
    try {
      for (const tz of ["UTC", "America/New_York", "Asia/Kathmandu"]) {
        process.env.TZ = tz;
        expect(read("tomorrow 9am", "Europe/Berlin", now), tz).toBe("2026-03-08T09:00:00+01:00");
        expect(read("in 2 hours", "America/New_York", "2026-03-08T06:30:00Z"), tz).toBe(
          "2026-03-08T04:30:00-04:00",
        );
      }
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});

describe("readDateInput, numeric dates", () => {
  it("refuses 03/04/2026 and 31.12.2099, which read differently by country", () => {
    for (const text of ["03/04/2026", "31.12.2099", "12/24"]) {
      expect(
        errorOf(() => read(text, "UTC", "2026-03-07T19:30:00Z")),
        text,
      ).toMatch(/^INVALID_DUE_DATE: .*day\/month or month\/day; write the date as ISO 8601/);
    }
  });
});
