/**
 * Wall-clock time in IANA zones, with `Intl` only (Node ships the tz database): the one place taskbeat reads
 * a zone's clocks. A wall time is a "fake UTC" epoch: the UTC getters of a Date give the zone's local fields,
 * so searches and arithmetic on fields never see a DST change mid-way. Turning a wall time back into an
 * instant has two rules, because two kinds of callers emulate two systems:
 * - `fromWallGo`: Go's `time.Date`, as Dapr's scheduler does for cron in a zone (a time in a DST gap moves by
 *   the gap's length, a repeated time takes the offset in force before the change);
 * - `fromWallCompatible`: Temporal's "compatible" disambiguation, what people mean by a due date (a time
 *   skipped by a DST jump moves forward by the jump, 02:30 → 03:30; a time that happens twice takes the first).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's clock reader; `undefined` = the process's local zone (Go's `time.Local`). */
function clock(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? "";
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(key, found);
  }
  return found;
}

/** Throws when Intl does not know the zone (the message names it). */
export function checkZoneName(timeZone: string | undefined): void {
  try {
    clock(timeZone);
  } catch {
    throw new Error(`provided bad location ${timeZone}: unknown time zone`);
  }
}

/** The wall time the zone's clocks show at `instant` (epoch ms), as a fake-UTC epoch. */
export function toWall(instant: number, timeZone: string | undefined): number {
  const floored = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of clock(timeZone).formatToParts(new Date(floored))) parts[p.type] = Number(p.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) + (instant - floored);
}

/** Go's rule: the instant showing `wall`, shifted by the gap's length inside a DST gap. */
export function fromWallGo(wall: number, timeZone: string | undefined): number {
  const guess = wall - (toWall(wall, timeZone) - wall);
  return wall - (toWall(guess, timeZone) - guess);
}

/** Temporal's "compatible" rule: a skipped time moves forward by the jump, a repeated time takes the first. */
export function fromWallCompatible(wall: number, timeZone: string | undefined): number {
  const day = 86_400_000;
  const before = offsetAt(wall - day, timeZone);
  const after = offsetAt(wall + day, timeZone);
  const candidates = [wall - before, wall - after].filter((epoch) => toWall(epoch, timeZone) === wall);
  return candidates.length > 0 ? Math.min(...candidates) : wall - before;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string | undefined): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return toWall(whole, timeZone) - whole;
}

/** A zone for the cron search (runtime/schedule/cron.ts): Go's rule. */
export class Zone {
  constructor(private readonly timeZone: string | undefined) {
    checkZoneName(timeZone);
  }

  toWall(instant: number): number {
    return toWall(instant, this.timeZone);
  }

  /** The instant showing `wall` on the zone's clocks (for a DST gap: shifted by the gap). */
  fromWall(wall: number): number {
    return fromWallGo(wall, this.timeZone);
  }
}
