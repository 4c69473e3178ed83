/**
 * Two claimers over one table, each on its own pool (two replicas, or two overlapping ticks): every
 * due reminder is claimed by exactly one of them and announced by exactly one event. Needs a real
 * PostgreSQL server: PGlite is a single session, so nothing there runs concurrently.
 */
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import {
  reminderEvents,
  reminderStates,
  seedReminders,
  seedTasks,
  seedUser,
} from "../../../test/support/claim-fixtures.js";
import { useTestDb } from "../../../test/support/db.js";
import { claimBatch, claimDueReminders } from "./claim.js";

const embedded = inject("databaseIsEmbedded");
const db = useTestDb("reminders-claim-concurrency");
const pools: Sql[] = [];

/** A second, independent client on this file's schema, as another replica would have. */
function pool(): Sql {
  const sql = postgres(inject("databaseUrl"), {
    max: 4,
    onnotice: () => {},
    connection: { search_path: db.schema },
  });
  pools.push(sql);
  return sql;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(embedded)("two claimers at once (skipped: needs a PostgreSQL server, not PGlite)", () => {
  let a: Sql;
  let b: Sql;
  beforeAll(async () => {
    a = pool();
    b = pool();
    // Open the connections up front, so connection set-up does not serialise the first rounds.
    await Promise.all([a, b].flatMap((sql) => [1, 2, 3, 4].map(() => sql`select pg_sleep(0.02)`)));
  });
  afterAll(async () => {
    await Promise.all(pools.map((sql) => sql.end({ timeout: 5 })));
  });
  beforeEach(async () => {
    await db.sql`delete from outbox`;
    await db.sql`delete from reminders`;
  });

  async function expectEachClaimedOnce(ids: string[]) {
    const events = await reminderEvents(db.sql);
    expect(events).toHaveLength(ids.length);
    expect(new Set(events.map((e) => e.event.subject))).toEqual(new Set(ids));
    const states = await reminderStates(db.sql, ids);
    expect(states.filter((r) => r.state !== "published" || r.attempts !== 1)).toEqual([]);
  }

  it("200 due reminders, small batches racing over several rounds → exactly 200 events", async () => {
    const user = await seedUser(db.sql);
    const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 50), {
      inSeconds: -300,
      stepSeconds: 1,
      perTask: 4,
    });
    const claimed = { a: 0, b: 0 };
    for (let round = 0; round < 4; round++) {
      const [ra, rb] = await Promise.all([
        claimDueReminders({ sql: a }, { batchSize: 7 }),
        claimDueReminders({ sql: b }, { batchSize: 7 }),
      ]);
      claimed.a += ra.published;
      claimed.b += rb.published;
    }
    expect(claimed.a + claimed.b).toBe(200);
    expect(claimed.a, "both claimers got some").toBeGreaterThan(0);
    expect(claimed.b, "both claimers got some").toBeGreaterThan(0);
    await expectEachClaimedOnce(ids);
  });

  it("reminders falling due while two instances tick every 50 ms → each claimed once", async () => {
    const user = await seedUser(db.sql);
    // 200 reminders, one every 10 ms from now: most ticks find a few newly due ones, and both race for them.
    const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 100), {
      inSeconds: 0,
      stepSeconds: 0.01,
      perTask: 2,
    });
    const claimed = { a: 0, b: 0 };
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      const [ra, rb] = await Promise.all([claimDueReminders({ sql: a }), claimDueReminders({ sql: b })]);
      claimed.a += ra.published;
      claimed.b += rb.published;
      await sleep(50);
    }
    // However slow the rounds were, everything is due by now: one last round, as the next tick would.
    const last = await Promise.all([claimDueReminders({ sql: a }), claimDueReminders({ sql: b })]);
    claimed.a += last[0].published;
    claimed.b += last[1].published;
    expect(claimed.a + claimed.b).toBe(200);
    await expectEachClaimedOnce(ids);
  });

  it("a claim in progress is skipped, not waited for, and not claimed again", async () => {
    const user = await seedUser(db.sql);
    const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 10), {
      inSeconds: -60,
      stepSeconds: 1,
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first: Promise<{ published: number }> | undefined;
    const locked = new Promise<void>((resolve) => {
      // A claims the 4 oldest and keeps its transaction open until released.
      first = a.begin(async (tx) => {
        const batch = await claimBatch(tx, 4);
        resolve();
        await held;
        return batch;
      });
    });
    await locked;
    const second = await claimDueReminders({ sql: b }, { batchSize: 100 });
    // While A still holds its 4, only B's events are committed: the 6 it could take, oldest first.
    const whileHeld = await reminderEvents(db.sql);
    release();
    expect((await first)?.published).toBe(4);
    expect(second.published).toBe(6);
    expect(whileHeld.map((e) => e.event.subject)).toEqual(ids.slice(4));
    await expectEachClaimedOnce(ids);
  });
});
