import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { call, contextFor, countRows, expectCode, insertUser } from "../../test/support/task-fixtures.js";
import previewRecurrence from "./preview_recurrence.tool.js";

const db = useTestDb("preview_recurrence");

describe("preview_recurrence", () => {
  it("normalises the rule and lists occurrences with the zone's offset, 09:00 across DST", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql, { timeZone: "Europe/Berlin" }));
    const result = await call(previewRecurrence, ctx, {
      rule: "every weekday",
      start: "2025-03-28T09:00",
      count: 3,
    });
    expect(result).toEqual({
      rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
      time_zone: "Europe/Berlin",
      occurrences: ["2025-03-28T09:00:00+01:00", "2025-03-31T09:00:00+02:00", "2025-04-01T09:00:00+02:00"],
    });
    expect(previewRecurrence.summarize(result)).toBe(
      "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR in Europe/Berlin, 3 dates: Fri, Mar 28, 2025, 09:00; " +
        "Mon, Mar 31, 2025, 09:00; Tue, Apr 1, 2025, 09:00.",
    );
  });

  it("computes in another zone, treats a date alone as the end of that day, and stops at COUNT", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const result = await call(previewRecurrence, ctx, {
      rule: "RRULE:FREQ=WEEKLY;COUNT=2",
      start: "2025-10-28",
      time_zone: "America/New_York",
    });
    expect(result.occurrences).toEqual(["2025-10-28T23:59:59-04:00", "2025-11-04T23:59:59-05:00"]);
  });

  it("defaults to 10 occurrences from the end of today, and writes nothing", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const before = await countRows(db.sql, "outbox");
    const { occurrences } = await call(previewRecurrence, ctx, { rule: "FREQ=DAILY" });
    expect(occurrences).toHaveLength(10);
    // The summary shows every one of them, not the first three.
    const text = previewRecurrence.summarize({ rule: "FREQ=DAILY", time_zone: "UTC", occurrences });
    expect(text.match(/, 23:59/g)).toHaveLength(10);
    expect(occurrences[0]).toMatch(/T23:59:59\+00:00$/);
    expect(await countRows(db.sql, "outbox")).toBe(before);
  });

  it("refuses a bad rule, start or zone, and more than 50 occurrences", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    await expectCode(call(previewRecurrence, ctx, { rule: "FREQ=HOURLY" }), "INVALID_RECURRENCE_RULE");
    await expectCode(call(previewRecurrence, ctx, { rule: "FREQ=DAILY", start: "soon" }), "INVALID_DUE_DATE");
    await expectCode(
      call(previewRecurrence, ctx, { rule: "FREQ=DAILY", time_zone: "Nowhere/Land" }),
      "INVALID_TIME_ZONE",
    );
    await expectCode(call(previewRecurrence, ctx, { rule: "FREQ=DAILY", count: 51 }), "VALIDATION_ERROR");
  });
});
