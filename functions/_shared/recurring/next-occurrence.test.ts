import { describe, expect, it } from "vitest";
import { parseDateInput, zonedIso } from "../domain/dates.js";
import { DomainError } from "../domain/errors.js";
import { type NextOccurrence, planNextOccurrence } from "./next-occurrence.js";

const at = (text: string, timeZone: string) => parseDateInput(text, { timeZone, field: "due_date" });

/** Completes a task due `due` at `completed` (both wall times in the zone); the next one, in the zone. */
function next(rule: string, due: string, completed: string, timeZone = "UTC") {
  const plan = planNextOccurrence({
    rule,
    dueAt: at(due, timeZone),
    completedAt: at(completed, timeZone),
    timeZone,
    seriesStart: null,
  });
  return plan && { due: zonedIso(plan.dueAt, timeZone), rule: plan.rule };
}

/**
 * Completes each occurrence an hour before it is due, as long as the series goes on: the due dates of
 * every task the series ever has (the first included).
 */
function series(rule: string, first: string, timeZone = "UTC", max = 20): string[] {
  const dues = [zonedIso(at(first, timeZone), timeZone)];
  let current: (Omit<NextOccurrence, "seriesStart"> & { seriesStart: Date | null }) | null = {
    dueAt: at(first, timeZone),
    rule,
    seriesStart: null,
  };
  while (current && dues.length < max) {
    current = planNextOccurrence({
      ...current,
      completedAt: new Date(current.dueAt.getTime() - 3_600_000),
      timeZone,
    });
    if (current) dues.push(zonedIso(current.dueAt, timeZone));
  }
  return dues;
}

describe("planNextOccurrence", () => {
  it("DAILY: the next day at the same time, whether completed early or late that day", () => {
    expect(next("FREQ=DAILY", "2026-03-10T09:00", "2026-03-10T07:00")).toEqual({
      due: "2026-03-11T09:00:00+00:00",
      rule: "FREQ=DAILY",
    });
    expect(next("FREQ=DAILY", "2026-03-10T09:00", "2026-03-10T18:30")?.due).toBe("2026-03-11T09:00:00+00:00");
  });

  it("weekly BYDAY: the next listed day, keeping the due time (not the completion time)", () => {
    const rule = "FREQ=WEEKLY;BYDAY=MO,WE,FR";
    expect(series(rule, "2026-03-09T09:00", "UTC", 5)).toEqual([
      "2026-03-09T09:00:00+00:00",
      "2026-03-11T09:00:00+00:00",
      "2026-03-13T09:00:00+00:00",
      "2026-03-16T09:00:00+00:00",
      "2026-03-18T09:00:00+00:00",
    ]);
    // Due Friday 17:00, completed the Monday after: the coming Friday at 17:00, not Monday's time.
    expect(next("FREQ=WEEKLY;BYDAY=FR", "2026-03-13T17:00", "2026-03-16T09:00")?.due).toBe(
      "2026-03-20T17:00:00+00:00",
    );
    // Completed early, on the Monday before: still the Friday after the due one, not the same week.
    expect(next("FREQ=WEEKLY;BYDAY=FR", "2026-03-13T17:00", "2026-03-09T09:00")?.due).toBe(
      "2026-03-20T17:00:00+00:00",
    );
  });

  it("weekly INTERVAL=2 keeps the fortnight grid of the due date", () => {
    expect(series("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "2026-03-03T08:00", "UTC", 3)).toEqual([
      "2026-03-03T08:00:00+00:00",
      "2026-03-17T08:00:00+00:00",
      "2026-03-31T08:00:00+00:00",
    ]);
  });

  it("monthly BYMONTHDAY=31 skips months without a 31st (RFC 5545), never clamps to the 30th", () => {
    expect(series("FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31T10:00", "Europe/Berlin", 8)).toEqual([
      "2027-01-31T10:00:00+01:00",
      "2027-03-31T10:00:00+02:00",
      "2027-05-31T10:00:00+02:00",
      "2027-07-31T10:00:00+02:00",
      "2027-08-31T10:00:00+02:00",
      "2027-10-31T10:00:00+01:00",
      "2027-12-31T10:00:00+01:00",
      "2028-01-31T10:00:00+01:00",
    ]);
  });

  it("COUNT=3: three occurrences in the whole series, counted from its first due date", () => {
    expect(series("FREQ=DAILY;COUNT=3", "2026-05-01T09:00")).toEqual([
      "2026-05-01T09:00:00+00:00",
      "2026-05-02T09:00:00+00:00",
      "2026-05-03T09:00:00+00:00",
    ]);
    expect(next("FREQ=DAILY;INTERVAL=2;COUNT=3", "2026-05-01T09:00", "2026-05-01T08:00")).toEqual({
      due: "2026-05-03T09:00:00+00:00",
      rule: "FREQ=DAILY;INTERVAL=2;COUNT=3",
    });
    expect(next("FREQ=DAILY;COUNT=1", "2026-05-01T09:00", "2026-05-01T08:00")).toBeNull();
    // The third task of a series that started on the 1st: nothing after it, whatever its own date.
    const third = planNextOccurrence({
      rule: "FREQ=DAILY;COUNT=3",
      dueAt: at("2026-05-03T09:00", "UTC"),
      completedAt: at("2026-05-03T08:00", "UTC"),
      timeZone: "UTC",
      seriesStart: at("2026-05-01T09:00", "UTC"),
    });
    expect(third).toBeNull();
  });

  it("COUNT: occurrences skipped by a late completion are used up, not pushed back", () => {
    // Due on the 1st, completed on the 3rd at noon: the 2nd and 3rd are gone, the 4th is the 4th of 5.
    expect(next("FREQ=DAILY;COUNT=5", "2026-05-01T09:00", "2026-05-03T12:00")).toEqual({
      due: "2026-05-04T09:00:00+00:00",
      rule: "FREQ=DAILY;COUNT=5",
    });
    expect(next("FREQ=DAILY;COUNT=3", "2026-05-01T09:00", "2026-05-03T12:00")).toBeNull();
  });

  it("COUNT on a first due date that is not on the rule: the rule's own dates are counted", () => {
    // Due on a Wednesday, repeating on Mondays three times: Wednesday, then three Mondays.
    expect(series("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2026-03-04T09:00")).toEqual([
      "2026-03-04T09:00:00+00:00",
      "2026-03-09T09:00:00+00:00",
      "2026-03-16T09:00:00+00:00",
      "2026-03-23T09:00:00+00:00",
    ]);
  });

  it("UNTIL ends the series: a date alone is the whole of that day in the task's zone", () => {
    expect(series("FREQ=DAILY;UNTIL=20260312", "2026-03-10T21:00", "America/New_York")).toEqual([
      "2026-03-10T21:00:00-04:00",
      "2026-03-11T21:00:00-04:00",
      "2026-03-12T21:00:00-04:00",
    ]);
    expect(series("FREQ=WEEKLY;UNTIL=20260320T120000Z", "2026-03-06T13:00")).toEqual([
      "2026-03-06T13:00:00+00:00",
      "2026-03-13T13:00:00+00:00",
    ]);
  });

  it("Europe/Berlin: 09:00 stays 09:00 across both DST changes", () => {
    const spring = next("FREQ=DAILY", "2026-03-28T09:00", "2026-03-28T08:00", "Europe/Berlin");
    expect(spring?.due).toBe("2026-03-29T09:00:00+02:00");
    const autumn = next("FREQ=DAILY", "2026-10-24T09:00", "2026-10-24T08:00", "Europe/Berlin");
    expect(autumn?.due).toBe("2026-10-25T09:00:00+01:00");
    const weekly = next("FREQ=WEEKLY;BYDAY=FR", "2026-03-27T09:00", "2026-03-27T10:00", "Europe/Berlin");
    expect(weekly?.due).toBe("2026-04-03T09:00:00+02:00");
  });

  it("America/New_York: 09:00 stays 09:00 across both DST changes", () => {
    const spring = next("FREQ=DAILY", "2026-03-07T09:00", "2026-03-07T08:00", "America/New_York");
    expect(spring?.due).toBe("2026-03-08T09:00:00-04:00");
    const autumn = next("FREQ=DAILY", "2026-10-31T09:00", "2026-10-31T08:00", "America/New_York");
    expect(autumn?.due).toBe("2026-11-01T09:00:00-05:00");
  });

  it("a wall time DST skips moves forward, and the series goes back to it afterwards", () => {
    const timeZone = "Europe/Berlin";
    expect(series("FREQ=DAILY", "2026-03-28T02:30", timeZone, 3)).toEqual([
      "2026-03-28T02:30:00+01:00",
      "2026-03-29T03:30:00+02:00",
      "2026-03-30T02:30:00+02:00",
    ]);
  });

  it("completed long after the due date: the first occurrence after the completion, no backlog", () => {
    expect(next("FREQ=DAILY", "2026-01-01T09:00", "2026-01-20T12:00")?.due).toBe("2026-01-21T09:00:00+00:00");
    expect(next("FREQ=DAILY", "2026-01-01T09:00", "2026-01-20T08:00")?.due).toBe("2026-01-20T09:00:00+00:00");
    expect(next("FREQ=MONTHLY;BYMONTHDAY=31", "2026-01-31T09:00", "2026-04-02T09:00")?.due).toBe(
      "2026-05-31T09:00:00+00:00",
    );
  });

  it("a task without a due date repeats from its completion", () => {
    const plan = planNextOccurrence({
      rule: "FREQ=DAILY",
      dueAt: null,
      completedAt: new Date("2026-03-10T14:37:00Z"),
      timeZone: "UTC",
      seriesStart: null,
    });
    expect(plan?.dueAt.toISOString()).toBe("2026-03-11T14:37:00.000Z");
  });

  it("a rule that no longer reads is INVALID_RECURRENCE_RULE", () => {
    const done = { dueAt: new Date(), completedAt: new Date(), timeZone: "UTC", seriesStart: null };
    expect(() => planNextOccurrence({ ...done, rule: "FREQ=HOURLY" })).toThrow(DomainError);
    expect(() => planNextOccurrence({ ...done, rule: "FREQ=DAILY;BYHOUR=9" })).toThrow(/BYHOUR/);
  });
});
