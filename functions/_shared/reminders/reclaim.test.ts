/**
 * The sweep of stuck reminders inside claimDueReminders: a reminder `published` and untouched past the
 * threshold is announced again (one new event), not before; at the attempt cap it is given up (`failed`).
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
import { DEFAULT_MAX_ATTEMPTS } from "./reclaim.js";

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

  it("are given up at the attempt cap: failed, with the reason, and no event", async () => {
    const spent = await published(2, 30, DEFAULT_MAX_ATTEMPTS);
    const last = await published(1, 30, DEFAULT_MAX_ATTEMPTS - 1);

    expect(await claimDueReminders(ctx())).toMatchObject({ republished: 1, gaveUp: 2 });

    expect((await reminderStates(db.sql, spent)).map((r) => r.state)).toEqual(["failed", "failed"]);
    expect(await lastErrors(spent)).toEqual(Array(2).fill(`gave up after ${DEFAULT_MAX_ATTEMPTS} attempts`));
    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual(last);
    expect((await reminderStates(db.sql, last))[0]).toMatchObject({ attempts: DEFAULT_MAX_ATTEMPTS });
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
