/**
 * Due-reminder scan: one check-due-tasks claim (`claimDueReminders`, batch size 1000) against a table of
 * `tasks` tasks with `pending` reminders not yet due and `due` due ones. Between runs the claimed ones
 * are put back to pending and the outbox emptied (then vacuumed), so every run claims the same rows.
 * In the same runs, the floor under a tick: the same state change and the same outbox rows written
 * with nothing else (no lock, no join, no event building), each one statement and its commit.
 */
import type { Sql } from "postgres";
import { claimDueReminders } from "../functions/_shared/reminders/claim.js";
import { checkpoint } from "./lib/db.js";
import { median } from "./lib/proc.js";

export interface ClaimSize {
  tasks: number;
  pending: number;
  due: number;
}

export interface ClaimResult extends ClaimSize {
  seedSeconds: number;
  /** Median ms to claim and enqueue all due reminders. */
  claimDueMs: number;
  /** Median ms of a claim when nothing is due. */
  nothingDueMs: number;
  /** Median ms of a bare `update` of the due reminders to published, and its commit. */
  floorUpdateMs: number;
  /** Median ms of inserting the tick's outbox rows again (INSERT … SELECT of a copy), and its commit. */
  floorOutboxMs: number;
  claimed: number;
}

export async function seedClaim(sql: Sql, size: ClaimSize): Promise<number> {
  const started = performance.now();
  await sql`truncate users, tasks, reminders, outbox cascade`;
  await sql`insert into users (email) select 'u' || g || '@bench.test' from generate_series(1, 1000) g`;
  await sql`
    insert into tasks (user_id, title, time_zone, due_at)
    select ids[1 + g % 1000], 'bench task ' || g, 'UTC', now() + interval '2 days'
    from generate_series(1, ${size.tasks}) g, (select array_agg(id) as ids from users) u`;
  await sql`create temp table if not exists bench_tasks (n integer primary key, id uuid, user_id uuid)`;
  await sql`truncate bench_tasks`;
  await sql`insert into bench_tasks select row_number() over (), id, user_id from tasks`;
  await sql`
    insert into reminders (task_id, user_id, remind_at)
    select t.id, t.user_id, now() + interval '1 day' + g * interval '1 second'
    from generate_series(1, ${size.pending}) g join bench_tasks t on t.n = 1 + g % ${size.tasks}`;
  await sql`
    insert into reminders (task_id, user_id, remind_at)
    select t.id, t.user_id, now() - interval '1 minute' - g * interval '1 millisecond'
    from generate_series(1, ${size.due}) g join bench_tasks t on t.n = 1 + (g * 7919) % ${size.tasks}`;
  await sql`drop table bench_tasks`;
  await sql.unsafe("vacuum analyze users, tasks, reminders, outbox");
  await checkpoint(sql);
  return (performance.now() - started) / 1000;
}

async function resetDue(sql: Sql): Promise<void> {
  await sql`update reminders set state = 'pending', attempts = 0 where state <> 'pending'`;
  await sql`delete from outbox`;
  await sql.unsafe("vacuum analyze reminders, outbox");
}

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

export async function benchClaim(sql: Sql, size: ClaimSize, runs: number): Promise<ClaimResult> {
  const seedSeconds = await seedClaim(sql, size);
  // The pool, as check-due-tasks has it: each batch is one statement on one pooled connection.
  const ctx = { sql, onEventsCommitted: () => {} };
  const options = { batchSize: Math.max(size.due, 1), budgetMs: 60_000 };
  await claimDueReminders(ctx, options); // warm-up (plans, connections)
  // The floor's outbox rows: a copy of what a tick wrote.
  await sql`drop table if exists bench_claim_events`;
  await sql`create table bench_claim_events as select pubsub, topic, partition_key, event from outbox`;
  const dueMs: number[] = [];
  const idleMs: number[] = [];
  const updateMs: number[] = [];
  const outboxMs: number[] = [];
  let claimed = 0;
  for (let run = 0; run < runs; run++) {
    await resetDue(sql);
    dueMs.push(
      await timed(async () => {
        claimed = (await claimDueReminders(ctx, options)).published;
      }),
    );
    idleMs.push(await timed(() => claimDueReminders(ctx, options)));
    await resetDue(sql);
    updateMs.push(
      await timed(
        () => sql`
          update reminders set state = 'published', attempts = attempts + 1, updated_at = now()
          where state = 'pending' and remind_at <= now()`,
      ),
    );
    await resetDue(sql);
    outboxMs.push(
      await timed(
        () => sql`
          insert into outbox (id, pubsub, topic, partition_key, event)
          select gen_random_uuid(), pubsub, topic, partition_key, event from bench_claim_events`,
      ),
    );
  }
  await sql`drop table bench_claim_events`;
  return {
    ...size,
    seedSeconds,
    claimDueMs: median(dueMs),
    nothingDueMs: median(idleMs),
    floorUpdateMs: median(updateMs),
    floorOutboxMs: median(outboxMs),
    claimed,
  };
}
