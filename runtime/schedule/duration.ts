/**
 * The time formats daprd accepts, re-implemented so the local sidecar (runtime/dev-sidecar) and the job spec check
 * (runtime/jobs/spec.ts) reject exactly what daprd rejects:
 * Go durations (`time.ParseDuration`: job `@every`, dueTime, ttl, publish `ttl` metadata), RFC3339
 * instants, ISO 8601 durations (`kit/time.ParseISO8601Duration`) and protobuf JSON durations
 * (`failurePolicy.constant.interval`, protojson only takes seconds: "3s", "0.5s").
 */

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's `time.ParseDuration`, returned in milliseconds (fractional below 1 ms). undefined when invalid. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go special-cases a bare "0" (with optional sign); any other number needs a unit.
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let totalNs = 0;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (rest !== "") {
    const m = part.exec(rest);
    if (!m) return undefined;
    const [whole, intPart = "", fracPart, unitText = ""] = m;
    // "." alone or ".s" is invalid; "5." and ".5" are fine.
    if (intPart === "" && (fracPart === undefined || fracPart === "")) return undefined;
    const unit = /^(ns|us|µs|μs|ms|s|m|h)/.exec(unitText)?.[1];
    if (unit === undefined) return undefined;
    const value = Number(`${intPart || "0"}.${fracPart || "0"}`);
    totalNs += value * (NS_PER_UNIT[unit] ?? 0);
    rest = rest.slice(whole.length - unitText.length + unit.length);
  }
  // Go's Duration is an int64 of nanoseconds: about 292 years.
  if (totalNs > 9.223372036854776e18) return undefined;
  return (sign * totalNs) / 1e6;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Go's `time.Parse(time.RFC3339, …)`: fractional seconds allowed, `T` and an offset required. */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = "", zone = "Z"] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utc);
  // Reject 2024-02-30 and 25:00 instead of letting Date roll them over.
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  const ms = frac === "" ? 0 : Math.floor(Number(`0${frac}`) * 1000);
  let offsetMin = 0;
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const [oh, om] = zone.slice(1).split(":").map(Number) as [number, number];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  return new Date(utc + ms - offsetMin * 60_000);
}

export interface IsoDuration {
  years: number;
  months: number;
  days: number;
  /** The time part (H, M, S) plus weeks, in milliseconds. */
  ms: number;
  /** From an `Rn/` prefix; 0 when absent. */
  repeats: number;
}

const ISO_DURATION =
  /^(?:R(\d+)\/)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 durations such as `P1DT2H` or `R3/PT10S`. */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m) return undefined;
  const [, r, y, mo, w, d, h, mi, s] = m;
  const datePart = [y, mo, w, d];
  const timePart = [h, mi, s];
  // "P" and "PT" alone carry no component; a "T" must be followed by one.
  if ([...datePart, ...timePart].every((v) => v === undefined)) return undefined;
  if (text.includes("T") && timePart.every((v) => v === undefined)) return undefined;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  return {
    years: n(y),
    months: n(mo),
    days: n(d),
    ms: n(w) * 7 * 86_400_000 + n(h) * 3_600_000 + n(mi) * 60_000 + n(s) * 1000,
    repeats: n(r),
  };
}

/**
 * A job's `dueTime` or `ttl`: RFC3339, else a Go duration from `now`, else a non-repeating ISO 8601
 * duration from `now` (go-etcd-cron `parsePointInTime`, tried in that order).
 */
export function parsePointInTime(text: string, now: Date): Date | undefined {
  const instant = parseRfc3339(text);
  if (instant) return instant;
  const ms = parseGoDuration(text);
  if (ms !== undefined) return new Date(now.getTime() + ms);
  const iso = parseIsoDuration(text);
  if (!iso || iso.repeats > 0) return undefined;
  const t = new Date(now.getTime());
  t.setUTCFullYear(t.getUTCFullYear() + iso.years, t.getUTCMonth() + iso.months, t.getUTCDate() + iso.days);
  return new Date(t.getTime() + iso.ms);
}

/** protojson `google.protobuf.Duration`: decimal seconds with an `s` suffix, in milliseconds. */
export function parseProtoDuration(text: string): number | undefined {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) return undefined;
  const value = Number(`${m[2]}.${m[3] ?? "0"}`) * 1000;
  return m[1] === "-" ? -value : value;
}

/** RFC3339 at second precision in UTC, as Go's `time.Format(time.RFC3339)` renders a UTC time. */
export function formatRfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
