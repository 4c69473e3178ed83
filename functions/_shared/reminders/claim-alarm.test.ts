/**
 * The claim alarm: the look-ahead query on a real database, and the timer's rules on a fake clock
 * (which reminder it waits for, which of two moments wins, spacing, stopping, failures): the timer's
 * behaviour is exact there, with no wall-clock waits to loosen on a busy machine.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../runtime/log.js";
import { seedReminders, seedTasks, seedUser } from "../../../test/support/claim-fixtures.js";
import { useTestDb } from "../../../test/support/db.js";
import { ClaimAlarm, msUntilNextReminder } from "./claim-alarm.js";

const db = useTestDb("claim-alarm");
/** Moves the fake clock on, running the timers (and the promises they start) that fall due. */
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe("msUntilNextReminder", () => {
  beforeEach(async () => {
    await db.sql`delete from reminders`;
  });

  it("is undefined with no pending reminder ahead", async () => {
    expect(await msUntilNextReminder(db.sql)).toBeUndefined();
  });

  it("waits for the earliest pending reminder not yet due, ignoring due, sent and far ones", async () => {
    const user = await seedUser(db.sql);
    const [due, sent, next, later, far] = await seedTasks(db.sql, user, 5);
    await seedReminders(db.sql, [due as string], { inSeconds: -5 });
    await seedReminders(db.sql, [sent as string], { inSeconds: 1, state: "sent" });
    await seedReminders(db.sql, [next as string], { inSeconds: 3 });
    await seedReminders(db.sql, [later as string], { inSeconds: 4 });
    await seedReminders(db.sql, [far as string], { inSeconds: 600 });

    const ms = await msUntilNextReminder(db.sql);
    expect(ms).toBeGreaterThan(2_500);
    expect(ms).toBeLessThanOrEqual(3_000);
    expect(await msUntilNextReminder(db.sql, 2_000)).toBeUndefined();
  });
});

/** An alarm whose look-ahead answers from a queue (undefined once empty), counting its claims. */
function alarmWith(
  answers: Array<number | undefined>,
  options: { claimFails?: boolean; minGapMs?: number } = {},
) {
  const claims: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const alarm = new ClaimAlarm({
    claim: async () => {
      claims.push(performance.now());
      if (options.claimFails) throw new Error("database away");
    },
    lookAhead: async () => {
      const next = answers.shift();
      if (next === -1) throw new Error("lookup failed");
      return next;
    },
    log: createLogger({ write: (line) => lines.push(JSON.parse(line)) }),
    minGapMs: options.minGapMs ?? 0,
  });
  return { alarm, claims, lines };
}

describe("ClaimAlarm", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("claims when the next reminder falls due, then looks again", async () => {
    const { alarm, claims } = alarmWith([60, 40]);
    const armedAt = performance.now();
    await alarm.rearm();
    expect(alarm.armed).toBe(true);
    await sleep(30);
    expect(claims).toHaveLength(0);
    await sleep(120);
    // The first at ≥ 60 ms, the second 40 ms after it; then the look-ahead found nothing.
    expect(claims).toHaveLength(2);
    expect((claims[0] as number) - armedAt).toBe(60);
    expect((claims[1] as number) - (claims[0] as number)).toBe(40);
    expect(alarm.armed).toBe(false);
  });

  it("keeps the earlier of two moments", async () => {
    const { alarm, claims } = alarmWith([200, 30, 500]);
    await alarm.rearm();
    await alarm.rearm(); // earlier: replaces the 200 ms timer
    await alarm.rearm(); // later: ignored
    await sleep(80);
    expect(claims).toHaveLength(1);
    await sleep(250);
    expect(claims).toHaveLength(1);
    alarm.stop();
  });

  it("spaces its claims by the minimum gap", async () => {
    const { alarm, claims } = alarmWith([0, 0, undefined], { minGapMs: 50 });
    await alarm.rearm();
    await sleep(120);
    expect(claims).toHaveLength(2);
    expect((claims[1] as number) - (claims[0] as number)).toBe(50);
  });

  it("claims nothing once stopped, and arms no more", async () => {
    const { alarm, claims } = alarmWith([20, 20]);
    await alarm.rearm();
    alarm.stop();
    await alarm.rearm();
    await sleep(60);
    expect(claims).toHaveLength(0);
    expect(alarm.armed).toBe(false);
  });

  it("logs a failed look-ahead and leaves the rest to the ticks", async () => {
    const { alarm, claims, lines } = alarmWith([-1]);
    await alarm.rearm();
    expect(alarm.armed).toBe(false);
    expect(claims).toHaveLength(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        msg: "could not look for the next reminder; the next tick will",
      }),
    );
  });

  it("stops the chain after a failed claim, with a warning", async () => {
    const { alarm, claims, lines } = alarmWith([10, 10], { claimFails: true });
    await alarm.rearm();
    await sleep(60);
    expect(claims).toHaveLength(1);
    expect(alarm.armed).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "warn", msg: "claim on time failed; the next tick will claim" }),
    );
  });

  it("is not armed when nothing is ahead", async () => {
    const { alarm } = alarmWith([]);
    await alarm.rearm();
    expect(alarm.armed).toBe(false);
    alarm.stop();
  });
});
