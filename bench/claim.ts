/**
 * Due-reminder scan: one check-due-tasks claim (`claimDueReminders`, batch size 1000) against a table of
 * `tasks` tasks with `pending` reminders not yet due and `due` due ones. Between runs the claimed ones
 * are put back to pending and the outbox emptied (then vacuumed), so every run claims the same rows.
 */
import type { Sql } from "postgres";
import { claimDueReminders } from "../runtime/reminders/claim.js";
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
  return (performance.now() - started) / 1000;
}

async function resetDue(sql: Sql): Promise<void> {
  await sql`update reminders set state = 'pending', attempts = 0 where state <> 'pending'`;
  await sql`delete from outbox`;
  await sql.unsafe("vacuum analyze reminders, outbox");
}

export async function benchClaim(sql: Sql, size: ClaimSize, runs: number): Promise<ClaimResult> {
  const seedSeconds = await seedClaim(sql, size);
  // Only one connection is used per claim, like one check-due-tasks tick.
  const ctx = { sql, onEventsCommitted: () => {} };
  const options = { batchSize: Math.max(size.due, 1), budgetMs: 60_000 };
  await claimDueReminders(ctx, options); // warm-up (plans, connections)
  const dueMs: number[] = [];
  const idleMs: number[] = [];
  let claimed = 0;
  for (let run = 0; run < runs; run++) {
    await resetDue(sql);
    let started = performance.now();
    const result = await claimDueReminders(ctx, options);
    dueMs.push(performance.now() - started);
    claimed = result.published;
    started = performance.now();
    await claimDueReminders(ctx, options);
    idleMs.push(performance.now() - started);
  }
  return { ...size, seedSeconds, claimDueMs: median(dueMs), nothingDueMs: median(idleMs), claimed };
}
