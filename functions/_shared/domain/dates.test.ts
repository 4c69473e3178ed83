import { describe, expect, it } from "vitest";
import {
  CURRENT_ZONE_NAMES,
  checkTimeZone,
  endOfDay,
  parseDateInput,
  zonedInstant,
  zonedIso,
} from "./dates.js";
import { DomainError } from "./errors.js";

const read = (text: string, timeZone = "UTC", requireTime = false) =>
  parseDateInput(text, { timeZone, field: "due_date", requireTime }).toISOString();

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : "not a DomainError";
  }
  return "no error";
};

describe("parseDateInput", () => {
  it("refuses years outside 1900–9999 rather than reading 0099 as 1999", () => {
    for (const text of ["0099-12-31", "0001-01-01T09:00Z", "1899-12-31T23:59:59+01:00"]) {
      expect(
        codeOf(() => read(text)),
        text,
      ).toBe("INVALID_DUE_DATE");
    }
    expect(() => read("0050-06-01")).toThrow(/years 1900 to 9999/);
    expect(read("1900-01-01T00:00Z")).toBe("1900-01-01T00:00:00.000Z");
    expect(read("9999-12-31T12:00Z")).toBe("9999-12-31T12:00:00.000Z");
  });

  it("takes an offset or Z as given", () => {
    expect(read("2025-01-15T17:00:00-05:00", "Europe/Berlin")).toBe("2025-01-15T22:00:00.000Z");
    expect(read("2025-01-15T17:00:00Z", "Europe/Berlin")).toBe("2025-01-15T17:00:00.000Z");
    expect(read("2025-01-15T17:00:00.250+0530")).toBe("2025-01-15T11:30:00.250Z");
    expect(read("2025-01-15 17:00+01")).toBe("2025-01-15T16:00:00.000Z");
  });

  it("reads a time without an offset as wall time in the zone, DST included", () => {
    expect(read("2025-01-15T09:00", "Europe/Berlin")).toBe("2025-01-15T08:00:00.000Z");
    expect(read("2025-07-15T09:00", "Europe/Berlin")).toBe("2025-07-15T07:00:00.000Z");
    expect(read("2025-07-15T09:00:30", "America/New_York")).toBe("2025-07-15T13:00:30.000Z");
  });

  it("means the end of the day in the zone for a date alone", () => {
    expect(read("2025-01-15", "America/New_York")).toBe("2025-01-16T04:59:59.000Z");
    expect(read("2025-07-15", "Europe/Berlin")).toBe("2025-07-15T21:59:59.000Z");
    expect(read("2025-01-15")).toBe("2025-01-15T23:59:59.000Z");
  });

  it("moves a time skipped by DST forward and takes the first of a repeated one", () => {
    expect(read("2025-03-30T02:30", "Europe/Berlin")).toBe("2025-03-30T01:30:00.000Z"); // 03:30 CEST
    expect(read("2025-10-26T02:30", "Europe/Berlin")).toBe("2025-10-26T00:30:00.000Z"); // 02:30 CEST
    expect(read("2025-03-09T02:30", "America/New_York")).toBe("2025-03-09T07:30:00.000Z"); // 03:30 EDT
    expect(read("2025-11-02T01:30", "America/New_York")).toBe("2025-11-02T05:30:00.000Z"); // 01:30 EDT
  });

  it("refuses what is not ISO 8601 or not a real date, with INVALID_DUE_DATE", () => {
    for (const text of [
      "tomorrow",
      "2025-1-15",
      "15/01/2025",
      "2025-02-30",
      "2025-13-01",
      "2025-01-15T24:00",
      "",
    ]) {
      expect(
        codeOf(() => read(text)),
        text,
      ).toBe("INVALID_DUE_DATE");
    }
    expect(codeOf(() => read("2025-01-15T10:00+15:00"))).toBe("INVALID_DUE_DATE");
    expect(() => read("next friday")).toThrow(
      /due_date "next friday" is not a date I can read; use ISO 8601/,
    );
  });

  it("can insist on a time of day", () => {
    expect(codeOf(() => read("2025-01-15", "UTC", true))).toBe("VALIDATION_ERROR");
    expect(read("2025-01-15T09:00", "UTC", true)).toBe("2025-01-15T09:00:00.000Z");
  });
});

describe("time zones", () => {
  it("refuses abbreviations with the IANA zones that fit, rather than a zone with other DST rules", () => {
    // ICU alone reads "EST" as America/Panama (no DST) and "BST" as Asia/Dhaka.
    const messageOf = (zone: string) => {
      try {
        checkTimeZone(zone);
      } catch (error) {
        if (error instanceof DomainError) return `${error.code}: ${error.message}`;
      }
      return "accepted";
    };
    expect(messageOf("EST")).toMatch(
      /^INVALID_TIME_ZONE: EST is an abbreviation, .*; use America\/New_York \(US Eastern, with DST\)/,
    );
    expect(messageOf("est")).toMatch(/America\/New_York/);
    expect(messageOf("CET")).toMatch(/Europe\/Berlin/);
    expect(messageOf("PST")).toMatch(/America\/Los_Angeles/);
    expect(messageOf("BST")).toMatch(/Europe\/London/);
    expect(messageOf("IST")).toMatch(/Asia\/Kolkata .*Europe\/Dublin/);
    expect(messageOf("XYZT")).toMatch(/^INVALID_TIME_ZONE: XYZT is an abbreviation.*IANA name/);
    // UTC and GMT have no DST to get wrong; zone names with rules (EST5EDT) and links stay accepted.
    expect(checkTimeZone("GMT")).toBe("UTC");
    expect(checkTimeZone("utc")).toBe("UTC");
    expect(checkTimeZone("EST5EDT")).toBe("America/New_York");
    expect(checkTimeZone("Japan")).toBe("Asia/Tokyo");
  });

  it("canonicalises IANA names and refuses the rest", () => {
    expect(checkTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(checkTimeZone("UTC")).toBe("UTC");
    // The current IANA names, also where ICU still reports an older one (Node 20: "Asia/Calcutta").
    expect(checkTimeZone("asia/kolkata")).toBe("Asia/Kolkata");
    expect(checkTimeZone("Asia/Calcutta")).toBe("Asia/Kolkata");
    expect(checkTimeZone("Europe/Kyiv")).toBe("Europe/Kyiv");
    for (const zone of ["Mars/Olympus", "+02:00", "", "Europe/Berlin; drop table"]) {
      expect(
        codeOf(() => checkTimeZone(zone)),
        zone,
      ).toBe("INVALID_TIME_ZONE");
    }
  });

  it("maps only names that keep the same clock: the same wall time at every month from 1990 to 2040", () => {
    const months = Array.from({ length: 50 * 12 }, (_, k) => new Date(Date.UTC(1990, k, 15, 12)));
    for (const [reported, current] of Object.entries(CURRENT_ZONE_NAMES)) {
      expect(
        months.map((at) => zonedIso(at, current)),
        current,
      ).toEqual(months.map((at) => zonedIso(at, reported)));
    }
  });

  it("prints an instant with the zone's offset", () => {
    expect(zonedIso(new Date("2025-03-31T07:00:00Z"), "Europe/Berlin")).toBe("2025-03-31T09:00:00+02:00");
    expect(zonedIso(new Date("2025-01-15T14:00:00Z"), "America/New_York")).toBe("2025-01-15T09:00:00-05:00");
    expect(zonedIso(new Date("2025-01-15T14:00:00Z"), "Asia/Kolkata")).toBe("2025-01-15T19:30:00+05:30");
  });

  it("finds the end of the local day and the instant of a wall time", () => {
    expect(endOfDay(new Date("2025-01-16T03:00:00Z"), "America/New_York").toISOString()).toBe(
      "2025-01-16T04:59:59.000Z",
    );
    const wall = { year: 2025, month: 6, day: 1, hour: 12, minute: 0, second: 0, millisecond: 0 };
    expect(zonedInstant(wall, "Australia/Sydney").toISOString()).toBe("2025-06-01T02:00:00.000Z");
  });
});
