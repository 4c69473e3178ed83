/**
 * The sweep of stuck reminders inside claimDueReminders: a reminder `published` and untouched past the
 * threshold is announced again (one new event), not before, with a wait that doubles per announcement;
 * past the retry horizon after its remind_at it is given up (`failed`), whatever its attempt counts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  reminderEvents,
  reminderStates,
  seedReminders,
  seedTasks,
  seedUser,
} from "../../../test/support/claim-fixtures.js";
import { useTestDb } from "../../../test/support/db.js";
import { claimDueReminders } from "./claim.js";

const db = useTestDb("reminders-reclaim");
const ctx = () => ({ sql: db.sql });

beforeEach(async () => {
  await db.sql`delete from outbox`;
  await db.sql`delete from reminders`;
});

/** Published reminders, as a claim left them `minutesAgo` minutes ago with `attempts` so far. */
async function published(n: number, minutesAgo: number, attempts = 1, options: { completed?: boolean } = {}) {
  const user = await seedUser(db.sql);
  const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, n, options), {
    inSeconds: -3600,
    state: "published",
  });
  await db.sql`
    update reminders set attempts = ${attempts}, updated_at = now() - make_interval(mins => ${minutesAgo})
    where id = any(${ids}::uuid[])`;
  return ids;
}

const lastErrors = async (ids: string[]) =>
  (
    await db.sql<{ last_error: string | null }[]>`
      select last_error from reminders where id = any(${ids}::uuid[])`
  ).map((row) => row.last_error);

describe("stuck published reminders", () => {
  it("are announced again after 10 minutes untouched, one new event each, and not again at once", async () => {
    const stuck = await published(3, 11);

    expect(await claimDueReminders(ctx())).toMatchObject({ published: 0, republished: 3, gaveUp: 0 });

    const events = await reminderEvents(db.sql);
    expect(events.map((e) => e.event.subject).sort()).toEqual([...stuck].sort());
    expect(events[0]?.event.type).toBe("taskbeat.reminder.due.v1");
    expect((await reminderStates(db.sql, stuck)).map((r) => [r.state, r.attempts])).toEqual(
      Array(3).fill(["published", 2]),
    );
    // Their clock restarted: the next tick leaves them alone.
    await db.sql`delete from outbox`;
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 0 });
    expect(await reminderEvents(db.sql)).toEqual([]);
  });

  it("are left alone before the threshold", async () => {
    const recent = await published(2, 9);
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 0, gaveUp: 0, cancelled: 0 });
    expect(await reminderEvents(db.sql)).toEqual([]);
    expect((await reminderStates(db.sql, recent)).map((r) => r.attempts)).toEqual([1, 1]);
    // A shorter threshold (an option, for tests and operators) takes them.
    expect(await claimDueReminders(ctx(), { staleAfterMs: 60_000 })).toMatchObject({ republished: 2 });
  });

  it("wait twice as long after each announcement, up to an hour", async () => {
    const second = await published(1, 15, 2); // announced twice: waits 20 minutes
    const third = await published(1, 29, 3); // three times: 40 minutes
    const many = await published(1, 61, 9); // many times: the wait stops growing at 60 minutes
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 1 });
    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual(many);
    await db.sql`update reminders set updated_at = updated_at - interval '10 minutes' where id = any(${[...second, ...third]}::uuid[])`;
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 1 });
    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual([...many, ...second]);
  });

  it("are not given up for their attempt counts, only past the retry horizon: failed, with the reason, no event", async () => {
    const busy = await published(1, 61, 40); // far more announcements and mail attempts than the old cap of 10
    await db.sql`update reminders set send_attempts = 200, last_error = '421: try again later' where id = ${busy[0] ?? ""}`;
    const expired = await published(2, 61, 3);
    await db.sql`
      update reminders set remind_at = now() - interval '24 hours 1 minute', send_attempts = 12,
        last_error = '421: try again later'
      where id = any(${expired}::uuid[])`;

    const result = await claimDueReminders(ctx());
    expect(result).toMatchObject({ republished: 1, gaveUp: 2 });
    expect(result.givenUp.map((r) => r.id).sort()).toEqual([...expired].sort());
    expect(result.givenUp[0]).toMatchObject({ sendAttempts: 12 });

    expect((await reminderStates(db.sql, expired)).map((r) => r.state)).toEqual(["failed", "failed"]);
    expect(await lastErrors(expired)).toEqual(
      Array(2).fill("gave up 24 h after remind_at, after 12 mail attempts: 421: try again later"),
    );
    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual(busy);
    expect((await reminderStates(db.sql, busy))[0]).toMatchObject({ state: "published", attempts: 41 });
    // A shorter horizon (REMINDER_RETRY_HORIZON_MS) gives up sooner (once its new event has left the outbox).
    await db.sql`delete from outbox`;
    await db.sql`update reminders set updated_at = now() - interval '2 hours' where id = ${busy[0] ?? ""}`;
    expect(await claimDueReminders(ctx(), { horizonMs: 30 * 60_000 })).toMatchObject({ gaveUp: 1 });
  });

  it("whose task was completed meanwhile are cancelled, without an event", async () => {
    const done = await published(1, 30, 1, { completed: true });
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 0, cancelled: 1 });
    expect((await reminderStates(db.sql, done))[0]?.state).toBe("cancelled");
    expect(await reminderEvents(db.sql)).toEqual([]);
  });

  it("are skipped while their event still waits in the outbox (late, not lost)", async () => {
    const [waiting = ""] = await published(1, 30);
    await db.sql`
      insert into outbox (id, pubsub, topic, partition_key, event, next_attempt_at)
      values (gen_random_uuid(), 'pubsub', 'task-reminders', ${waiting}, '{}'::jsonb, now() + interval '1 minute')`;
    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 0 });
    expect(await reminderEvents(db.sql)).toHaveLength(1);
  });

  it("come after the due ones, in batches, oldest first", async () => {
    const older = await published(2, 40);
    const newer = await published(2, 20);
    const user = await seedUser(db.sql);
    const due = await seedReminders(db.sql, await seedTasks(db.sql, user, 1), { inSeconds: -5 });

    expect(await claimDueReminders(ctx(), { batchSize: 2 })).toMatchObject({ published: 1, republished: 4 });

    const subjects = (await reminderEvents(db.sql)).map((e) => e.event.subject);
    expect(subjects[0]).toBe(due[0]);
    expect(new Set(subjects.slice(1, 3))).toEqual(new Set(older));
    expect(new Set(subjects.slice(3))).toEqual(new Set(newer));
  });
});
