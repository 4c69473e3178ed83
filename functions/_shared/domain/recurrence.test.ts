import { describe, expect, it } from "vitest";
import { parseDateInput, zonedIso } from "./dates.js";
import { DomainError } from "./errors.js";
import { nextOccurrence, normalizeRule, previewOccurrences } from "./recurrence.js";

const at = (text: string, timeZone: string) => parseDateInput(text, { timeZone, field: "start" });
const preview = (rule: string, start: string, timeZone: string, count = 5) =>
  previewOccurrences(rule, { start: at(start, timeZone), timeZone, count }).map((d) => zonedIso(d, timeZone));

describe("normalizeRule", () => {
  it.each([
    ["FREQ=DAILY", "FREQ=DAILY"],
    ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=WEEKLY;BYDAY=MO,WE"],
    ["rrule:freq=weekly;byday=we,mo,mo", "FREQ=WEEKLY;BYDAY=MO,WE"],
    ["FREQ=DAILY;COUNT=5;INTERVAL=2", "FREQ=DAILY;INTERVAL=2;COUNT=5"],
    ["FREQ=WEEKLY;INTERVAL=1", "FREQ=WEEKLY"],
    ["FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"],
    ["FREQ=MONTHLY;BYMONTHDAY=15,1", "FREQ=MONTHLY;BYMONTHDAY=1,15"],
    ["FREQ=YEARLY;BYMONTHDAY=25;BYMONTH=12", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"],
    ["FREQ=DAILY;UNTIL=20271231", "FREQ=DAILY;UNTIL=20271231"],
    ["FREQ=DAILY;UNTIL=20271231T170000Z;", "FREQ=DAILY;UNTIL=20271231T170000Z"],
    ["FREQ=WEEKLY;WKST=SU;BYDAY=SU;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU;WKST=SU"],
    ["every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
    ["Every 2 weeks on Monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"],
    ["every day", "FREQ=DAILY"],
    ["every monday and friday", "FREQ=WEEKLY;BYDAY=MO,FR"],
    ["every month on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15"],
    ["every year", "FREQ=YEARLY"],
    ["every 3 days for 4 times", "FREQ=DAILY;INTERVAL=3;COUNT=4"],
    ["every day until January 1, 2027", "FREQ=DAILY;UNTIL=20270101"],
    ["daily", "FREQ=DAILY"],
    ["Weekly on Monday and Thursday", "FREQ=WEEKLY;BYDAY=MO,TH"],
    ["fortnightly", "FREQ=WEEKLY;INTERVAL=2"],
    ["monthly on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1"],
    ["annually", "FREQ=YEARLY"],
    ["daily for 10 times", "FREQ=DAILY;COUNT=10"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRule(input)).toBe(expected);
  });

  it.each([
    ["", /empty/],
    ["garbage words", /cannot read "garbage words" as a recurrence/],
    ["dailyish", /cannot read "dailyish" as a recurrence/],
    ["FREQ=HOURLY", /FREQ=HOURLY is not supported/],
    ["FREQ=MINUTELY", /not supported/],
    ["FREQ=SECONDLY", /not supported/],
    ["FREQ=DAILY;BYSETPOS=1", /BYSETPOS is not supported/],
    ["FREQ=DAILY;BYHOUR=9", /BYHOUR is not supported: the time of day comes from the task's due date/],
    ["every day at 9am", /BYHOUR is not supported/],
    ["every hour", /FREQ=HOURLY is not supported/],
    ["FREQ=DAILY;COUNT=0", /COUNT=0 must be a whole number from 1/],
    ["FREQ=DAILY;INTERVAL=0", /INTERVAL=0/],
    ["FREQ=DAILY;INTERVAL=-2", /INTERVAL=-2/],
    ["FREQ=DAILY;COUNT=3;UNTIL=20270101", /COUNT or UNTIL, not both/],
    ["FREQ=DAILY;FREQ=WEEKLY", /FREQ appears twice/],
    ["INTERVAL=2", /needs FREQ/],
    ["FREQ=WEEKLY;BYDAY=XX", /not a day/],
    ["FREQ=WEEKLY;BYDAY=1MO", /numbered days like 1MO only work with MONTHLY or YEARLY/],
    ["FREQ=MONTHLY;BYDAY=6MO", /out of range/],
    ["FREQ=WEEKLY;BYMONTHDAY=3", /BYMONTHDAY cannot be used with FREQ=WEEKLY/],
    ["FREQ=MONTHLY;BYMONTHDAY=32", /out of range/],
    ["FREQ=YEARLY;BYMONTH=13", /out of range/],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", /never happens/],
    ["FREQ=DAILY;UNTIL=tomorrow", /UNTIL=TOMORROW is not a date/],
    ["FREQ=DAILY;UNTIL=20270231", /not a date/],
    ["DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY", /Leave DTSTART out/],
    [`FREQ=DAILY;${"X".repeat(600)}`, /too long/],
  ])("refuses %j", (input, message) => {
    let error: unknown;
    try {
      normalizeRule(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("INVALID_RECURRENCE_RULE");
    expect((error as DomainError).message).toMatch(message);
  });
});

describe("previewOccurrences", () => {
  it("keeps 09:00 at 09:00 across DST in Europe/Berlin, both ways", () => {
    expect(preview("FREQ=DAILY", "2025-03-29T09:00", "Europe/Berlin", 3)).toEqual([
      "2025-03-29T09:00:00+01:00",
      "2025-03-30T09:00:00+02:00",
      "2025-03-31T09:00:00+02:00",
    ]);
    expect(preview("FREQ=WEEKLY;BYDAY=SU", "2025-10-19T09:00", "Europe/Berlin", 2)).toEqual([
      "2025-10-19T09:00:00+02:00",
      "2025-10-26T09:00:00+01:00",
    ]);
  });

  it("keeps 09:00 at 09:00 across DST in America/New_York, both ways", () => {
    expect(preview("FREQ=DAILY", "2025-03-08T09:00", "America/New_York", 2)).toEqual([
      "2025-03-08T09:00:00-05:00",
      "2025-03-09T09:00:00-04:00",
    ]);
    expect(preview("every weekday", "2025-10-31T09:00", "America/New_York", 2)).toEqual([
      "2025-10-31T09:00:00-04:00",
      "2025-11-03T09:00:00-05:00",
    ]);
  });

  it("moves an occurrence inside a DST gap forward, like a due date would be", () => {
    expect(preview("FREQ=DAILY", "2025-03-29T02:30", "Europe/Berlin", 3)).toEqual([
      "2025-03-29T02:30:00+01:00",
      "2025-03-30T03:30:00+02:00",
      "2025-03-31T02:30:00+02:00",
    ]);
  });

  it("includes the start only when it matches, and stops at COUNT and UNTIL", () => {
    expect(preview("FREQ=WEEKLY;BYDAY=MO", "2025-01-15T10:00", "UTC", 2)).toEqual([
      "2025-01-20T10:00:00+00:00",
      "2025-01-27T10:00:00+00:00",
    ]);
    expect(preview("FREQ=DAILY;COUNT=2", "2025-01-15T10:00", "UTC")).toHaveLength(2);
    // A date alone in UNTIL means through that day in the task's zone.
    expect(preview("FREQ=DAILY;UNTIL=20250117", "2025-01-15T23:00", "America/New_York")).toEqual([
      "2025-01-15T23:00:00-05:00",
      "2025-01-16T23:00:00-05:00",
      "2025-01-17T23:00:00-05:00",
    ]);
    expect(preview("FREQ=DAILY;UNTIL=20250116T120000Z", "2025-01-15T09:00", "Europe/Berlin")).toHaveLength(2);
  });

  it("handles the last Friday of the month and leap days", () => {
    expect(preview("FREQ=MONTHLY;BYDAY=-1FR", "2025-01-01T17:00", "Europe/Berlin", 3)).toEqual([
      "2025-01-31T17:00:00+01:00",
      "2025-02-28T17:00:00+01:00",
      "2025-03-28T17:00:00+01:00",
    ]);
    expect(preview("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2025-01-01T08:00", "UTC", 2)).toEqual([
      "2028-02-29T08:00:00+00:00",
      "2032-02-29T08:00:00+00:00",
    ]);
  });
});

describe("nextOccurrence", () => {
  const zone = "Europe/Berlin";
  const dtstart = at("2025-03-24T09:00", zone); // a Monday

  it("is the first occurrence strictly after the given instant, in local time", () => {
    const next = nextOccurrence("FREQ=WEEKLY;BYDAY=MO", { dtstart, after: dtstart, timeZone: zone });
    expect(next && zonedIso(next, zone)).toBe("2025-03-31T09:00:00+02:00");
    const early = nextOccurrence("FREQ=WEEKLY;BYDAY=MO", {
      dtstart,
      after: at("2025-03-26T12:00", zone),
      timeZone: zone,
    });
    expect(early && zonedIso(early, zone)).toBe("2025-03-31T09:00:00+02:00");
  });

  it("counts COUNT and INTERVAL from dtstart, and is null when the series has ended", () => {
    const rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=2";
    const second = nextOccurrence(rule, { dtstart, after: dtstart, timeZone: zone });
    expect(second && zonedIso(second, zone)).toBe("2025-04-07T09:00:00+02:00");
    expect(nextOccurrence(rule, { dtstart, after: second as Date, timeZone: zone })).toBeNull();
  });

  it("stays quick for a rule whose next occurrence is years away", () => {
    const started = performance.now();
    const next = nextOccurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", {
      dtstart: at("2024-02-29T08:00", "UTC"),
      after: at("2024-03-01T00:00", "UTC"),
      timeZone: "UTC",
    });
    expect(next?.toISOString()).toBe("2028-02-29T08:00:00.000Z");
    expect(performance.now() - started).toBeLessThan(500);
  });
});
