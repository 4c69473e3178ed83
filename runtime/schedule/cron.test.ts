import { describe, expect, it } from "vitest";
import { parseSchedule } from "./cron.js";

const next = (spec: string, after: string) => parseSchedule(spec).next(new Date(after))?.toISOString();

/** The first `n` activations after `after`. */
function series(spec: string, after: string, n: number): string[] {
  const schedule = parseSchedule(spec);
  const out: string[] = [];
  let t = new Date(after);
  for (let i = 0; i < n; i++) {
    const d = schedule.next(t);
    if (!d) break;
    out.push(d.toISOString());
    t = d;
  }
  return out;
}

describe("6-field cron (sec min hour dom month dow)", () => {
  it("fires on the seconds field", () => {
    expect(series("TZ=UTC */15 * * * * *", "2030-01-01T00:00:07Z", 3)).toEqual([
      "2030-01-01T00:00:15.000Z",
      "2030-01-01T00:00:30.000Z",
      "2030-01-01T00:00:45.000Z",
    ]);
  });

  it("is strictly after the given time", () => {
    expect(next("TZ=UTC 0 30 * * * *", "2030-01-01T00:30:00Z")).toBe("2030-01-01T01:30:00.000Z");
    expect(next("TZ=UTC 0 30 * * * *", "2030-01-01T00:29:59.900Z")).toBe("2030-01-01T00:30:00.000Z");
  });

  it("handles lists, ranges, steps and N/step", () => {
    expect(series("TZ=UTC 0 0 9-17/4 * * *", "2030-01-01T00:00:00Z", 4)).toEqual([
      "2030-01-01T09:00:00.000Z",
      "2030-01-01T13:00:00.000Z",
      "2030-01-01T17:00:00.000Z",
      "2030-01-02T09:00:00.000Z",
    ]);
    expect(series("TZ=UTC 0 5,10 1 * * *", "2030-01-01T00:00:00Z", 3)).toEqual([
      "2030-01-01T01:05:00.000Z",
      "2030-01-01T01:10:00.000Z",
      "2030-01-02T01:05:00.000Z",
    ]);
    // robfig: "50/5" means 50-59 every 5.
    expect(series("TZ=UTC 50/5 * * * * *", "2030-01-01T00:00:00Z", 3)).toEqual([
      "2030-01-01T00:00:50.000Z",
      "2030-01-01T00:00:55.000Z",
      "2030-01-01T00:01:50.000Z",
    ]);
  });

  it("accepts month and weekday names", () => {
    // 2030-01-01 is a Tuesday; next Monday in March 2030 at noon is 2030-03-04.
    expect(next("TZ=UTC 0 0 12 * MAR mon", "2030-01-01T00:00:00Z")).toBe("2030-03-04T12:00:00.000Z");
  });

  it("ORs day-of-month and day-of-week when both are restricted, ANDs when one is *", () => {
    // 13th of the month OR a Friday: from 2030-09-01 (Sunday) the first is Friday 2030-09-06.
    expect(next("TZ=UTC 0 0 0 13 * 5", "2030-09-01T00:00:00Z")).toBe("2030-09-06T00:00:00.000Z");
    // Friday the 13th needs both: "*" in dom makes dow the only restriction → plain Fridays.
    expect(next("TZ=UTC 0 0 0 * * 5", "2030-09-01T00:00:00Z")).toBe("2030-09-06T00:00:00.000Z");
    expect(next("TZ=UTC 0 0 0 13 * *", "2030-09-01T00:00:00Z")).toBe("2030-09-13T00:00:00.000Z");
  });

  it("skips months without the day", () => {
    expect(next("TZ=UTC 0 0 0 31 * *", "2030-04-01T00:00:00Z")).toBe("2030-05-31T00:00:00.000Z");
    expect(next("TZ=UTC 0 0 0 29 2 *", "2030-01-01T00:00:00Z")).toBe("2032-02-29T00:00:00.000Z");
  });

  it("returns undefined when nothing matches within five years", () => {
    expect(parseSchedule("TZ=UTC 0 0 0 30 2 *").next(new Date("2030-01-01T00:00:00Z"))).toBeUndefined();
  });
});

describe("time zones", () => {
  it("evaluates fields in the TZ= / CRON_TZ= zone (fixed offsets, no DST)", () => {
    // Asia/Kolkata is UTC+05:30 all year: 09:00 local = 03:30 UTC.
    expect(next("TZ=Asia/Kolkata 0 0 9 * * *", "2030-06-01T00:00:00Z")).toBe("2030-06-01T03:30:00.000Z");
    expect(next("TZ=Asia/Kolkata 0 0 9 * * *", "2030-06-01T03:30:00Z")).toBe("2030-06-02T03:30:00.000Z");
    // Asia/Tokyo (UTC+9): midnight on the 1st local is 15:00 UTC on the last day of the previous month.
    expect(next("CRON_TZ=Asia/Tokyo 0 0 0 1 * *", "2030-01-15T00:00:00Z")).toBe("2030-01-31T15:00:00.000Z");
  });

  it("keeps local wall-clock time across a DST change", () => {
    // New York switches to EDT on 2030-03-10: 08:00 local is 13:00 UTC before and 12:00 UTC after.
    expect(series("TZ=America/New_York 0 0 8 * * *", "2030-03-09T00:00:00Z", 2)).toEqual([
      "2030-03-09T13:00:00.000Z",
      "2030-03-10T12:00:00.000Z",
    ]);
  });

  it("rejects unknown zones", () => {
    expect(() => parseSchedule("TZ=Mars/Olympus 0 0 0 * * *")).toThrow(/bad location/);
    expect(() => parseSchedule("TZ=UTC")).toThrow(/not followed by a schedule/);
  });
});

describe("descriptors and @every", () => {
  it("maps the descriptors", () => {
    expect(next("TZ=UTC @hourly", "2030-01-01T00:10:00Z")).toBe("2030-01-01T01:00:00.000Z");
    expect(next("TZ=UTC @daily", "2030-01-01T10:00:00Z")).toBe("2030-01-02T00:00:00.000Z");
    expect(next("TZ=UTC @midnight", "2030-01-01T10:00:00Z")).toBe("2030-01-02T00:00:00.000Z");
    expect(next("TZ=UTC @weekly", "2030-01-01T10:00:00Z")).toBe("2030-01-06T00:00:00.000Z"); // Sunday
    expect(next("TZ=UTC @monthly", "2030-01-15T00:00:00Z")).toBe("2030-02-01T00:00:00.000Z");
    expect(next("TZ=UTC @yearly", "2030-01-15T00:00:00Z")).toBe("2031-01-01T00:00:00.000Z");
    expect(next("TZ=UTC @annually", "2030-01-15T00:00:00Z")).toBe("2031-01-01T00:00:00.000Z");
  });

  it("adds the Go duration to the previous activation", () => {
    expect(series("@every 1h30m", "2030-01-01T00:00:00.000Z", 2)).toEqual([
      "2030-01-01T01:30:00.000Z",
      "2030-01-01T03:00:00.000Z",
    ]);
    expect(next("@every 500ms", "2030-01-01T00:00:00.000Z")).toBe("2030-01-01T00:00:00.500Z");
  });

  it.each([
    ["", /empty spec/],
    ["* * * * *", /exactly 6 fields/],
    ["0 0 0 * * * *", /exactly 6 fields/],
    ["60 * * * * *", /above maximum/],
    ["0 0 0 0 * *", /below minimum/],
    ["0 0 0 * * 7", /above maximum/],
    ["5-1 * * * * *", /beyond end/],
    ["*/0 * * * * *", /positive number/],
    ["1-2-3 * * * * *", /too many hyphens/],
    ["1/2/3 * * * * *", /too many slashes/],
    ["x * * * * *", /parse int/],
    ["@every", /unrecognized descriptor/],
    ["@every 5", /parse duration/],
    ["@fortnightly", /unrecognized descriptor/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseSchedule(spec)).toThrow(message);
  });
});
