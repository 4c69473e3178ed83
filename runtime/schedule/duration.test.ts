import { describe, expect, it } from "vitest";
import {
  formatRfc3339,
  parseGoDuration,
  parseIsoDuration,
  parsePointInTime,
  parseProtoDuration,
  parseRfc3339,
} from "./duration.js";

describe("parseGoDuration (Go time.ParseDuration)", () => {
  it.each([
    ["5s", 5000],
    ["500ms", 500],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["-2m", -120_000],
    ["+3s", 3000],
    ["0", 0],
    ["-0", 0],
    [".5s", 500],
    ["5.s", 5000],
    ["1us", 0.001],
    ["1µs", 0.001],
    ["1μs", 0.001],
    ["100ns", 0.0001],
    ["1h1m1s1ms", 3_661_001],
  ])("%s = %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(["", "5", "s", "1d", "1hour", ".s", "1.2.3s", "1h 30m", "--1s", "ms", "1e3s"])(
    "rejects %j",
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );
});

describe("parseRfc3339", () => {
  it("accepts Z, offsets and fractions", () => {
    expect(parseRfc3339("2030-01-02T03:04:05Z")?.toISOString()).toBe("2030-01-02T03:04:05.000Z");
    expect(parseRfc3339("2030-01-02T03:04:05.25+02:00")?.toISOString()).toBe("2030-01-02T01:04:05.250Z");
    expect(parseRfc3339("2030-01-02T03:04:05-05:30")?.toISOString()).toBe("2030-01-02T08:34:05.000Z");
  });

  it.each([
    "2030-01-02 03:04:05Z",
    "2030-01-02T03:04:05",
    "2030-02-30T00:00:00Z",
    "2030-01-02T24:00:00Z",
    "5s",
  ])("rejects %j", (text) => expect(parseRfc3339(text)).toBeUndefined());
});

describe("ISO 8601 durations and points in time", () => {
  it("parses the components", () => {
    expect(parseIsoDuration("P1Y2M3DT4H5M6.5S")).toEqual({
      years: 1,
      months: 2,
      days: 3,
      ms: 14_706_500,
      repeats: 0,
    });
    expect(parseIsoDuration("P2W")?.ms).toBe(14 * 86_400_000);
    expect(parseIsoDuration("R3/PT10S")).toMatchObject({ repeats: 3, ms: 10_000 });
    for (const bad of ["P", "PT", "P1H", "1D", "P1DT"]) expect(parseIsoDuration(bad)).toBeUndefined();
  });

  it("tries RFC3339, then a Go duration, then a non-repeating ISO duration", () => {
    const now = new Date("2030-01-31T10:00:00Z");
    expect(parsePointInTime("2030-02-01T00:00:00Z", now)?.toISOString()).toBe("2030-02-01T00:00:00.000Z");
    expect(parsePointInTime("90s", now)?.toISOString()).toBe("2030-01-31T10:01:30.000Z");
    expect(parsePointInTime("PT1H", now)?.toISOString()).toBe("2030-01-31T11:00:00.000Z");
    expect(parsePointInTime("P1D", now)?.toISOString()).toBe("2030-02-01T10:00:00.000Z");
    expect(parsePointInTime("R2/PT1H", now)).toBeUndefined();
    expect(parsePointInTime("tomorrow", now)).toBeUndefined();
  });
});

describe("protojson durations and RFC3339 output", () => {
  it("takes seconds only", () => {
    expect(parseProtoDuration("3s")).toBe(3000);
    expect(parseProtoDuration("0.25s")).toBe(250);
    expect(parseProtoDuration("1m")).toBeUndefined();
    expect(parseProtoDuration("3")).toBeUndefined();
  });

  it("formats UTC at second precision", () => {
    expect(formatRfc3339(new Date("2030-01-02T03:04:05.678Z"))).toBe("2030-01-02T03:04:05Z");
  });
});
