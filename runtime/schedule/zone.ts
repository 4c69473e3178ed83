/**
 * Time zones for cron schedules, with `Intl` only (Node ships the tz database). Wall-clock time in a
 * zone is represented as a "fake UTC" epoch: the UTC getters of a Date give the zone's local fields.
 * The cron search runs on wall-clock fields, so a DST change never moves a field mid-search.
 */
export class Zone {
  private readonly format: Intl.DateTimeFormat;
  constructor(timeZone: string | undefined) {
    try {
      // timeZone undefined = the process's local zone, as daprd's scheduler uses time.Local.
      this.format = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new Error(`provided bad location ${timeZone}: unknown time zone`);
    }
  }

  toWall(instant: number): number {
    const floored = Math.floor(instant / 1000) * 1000;
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(floored))) parts[p.type] = Number(p.value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
    return Date.UTC(year, month - 1, day, hour, minute, second) + (instant - floored);
  }

  /** The instant showing `wall` on the zone's clocks (for a DST gap: shifted by the gap). */
  fromWall(wall: number): number {
    const guess = wall - (this.toWall(wall) - wall);
    return wall - (this.toWall(guess) - guess);
  }
}
