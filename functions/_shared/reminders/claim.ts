/**
 * Claiming due reminders for check-due-tasks. One statement per batch takes up to `limit` due pending
 * reminders, oldest first, with `FOR UPDATE SKIP LOCKED`, so overlapping ticks and replicas each get
 * other rows and no reminder is claimed twice. It marks them published, or cancelled when their task
 * is completed by now, and puts one taskbeat.reminder.due.v1 event per published reminder into the
 * outbox (announce.ts): a claim and its events are one statement, so they commit together or not at
 * all. After the due ones, reclaim.ts sweeps reminders stuck in `published` (their mail never went out)
 * and announces them again.
 */

import type { Sql } from "postgres";
import type { Span } from "../../../runtime/trace.js";
import type { DomainContext, Tx } from "../domain/context.js";
import { announceClaimed } from "./announce.js";
import { type ReclaimBatch, type ReclaimOptions, reclaimBatch } from "./reclaim.js";

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BUDGET_MS = 4_000;

export interface BatchResult {
  /** Claimed and announced: state published, one event each. */
  published: number;
  /** Their task was completed: state cancelled, no event. */
  cancelled: number;
}

/**
 * The claim, as one statement; exported so the plan test explains exactly what runs. Its cost follows
 * the batch, not the size of `tasks` or of the reminder history (sent rows stay, with past times):
 * - `due` walks reminders_due_idx (pending rows only) in `remind_at` order, locks and stops at `limit`;
 *   the task is joined there, under the LIMIT, so it is one primary-key lookup per claimed row.
 * - `due` is MATERIALIZED, so it runs once. As a plain subquery the planner may put it on the inner
 *   side of a nested loop and rescan it per outer row; each rescan skips the rows this statement has
 *   already updated and locks `limit` more (measured: LIMIT 4 claimed 15).
 * - The outer predicates hold for every row in `due`; they let the planner reach `r` through
 *   reminders_due_idx, reading no further than the batch's last reminder. Without them it expects
 *   most of the table to be due (the history is in the past) and hashes all of it.
 * - `announced` inserts the events of the rows `claimed` returns (announce.ts); only counts come back.
 */
export function claimStatement(sql: Sql | Tx, limit: number, span?: Span) {
  return sql<BatchResult[]>`
    with due as materialized (
      select p.id, p.remind_at, t.completed, t.due_at
      from reminders p join tasks t on t.id = p.task_id
      where p.state = 'pending' and p.remind_at <= now()
      order by p.remind_at
      for update of p skip locked
      limit ${limit}
    ), claimed as (
      update reminders r
      set state = case when due.completed then 'cancelled' else 'published' end,
        attempts = r.attempts + case when due.completed then 0 else 1 end,
        updated_at = now()
      from due
      where r.id = due.id and r.state = 'pending' and r.remind_at <= (select max(remind_at) from due)
      returning r.id, r.task_id, r.user_id, r.remind_at, due.due_at, r.state
    ), announced as (${announceClaimed(sql, span)})
    select count(*) filter (where state = 'published')::int as published,
      count(*) filter (where state = 'cancelled')::int as cancelled
    from claimed`;
}

/**
 * One batch: one statement, so one transaction of its own when `sql` is the pool (no BEGIN/COMMIT
 * round trips), or part of the caller's when it is a transaction.
 */
export async function claimBatch(sql: Sql | Tx, limit: number, span?: Span): Promise<BatchResult> {
  const [counts] = await claimStatement(sql, limit, span);
  return counts ?? { published: 0, cancelled: 0 };
}

export interface ClaimOptions extends ReclaimOptions {
  /** Most reminders per transaction. Default 500. */
  batchSize?: number;
  /** Start no new batch after this long. Default 4000 ms (below the job's 5 s schedule). */
  budgetMs?: number;
  /** Start no new batch once aborted (the process is shutting down). */
  signal?: AbortSignal;
}

export interface ClaimResult extends BatchResult, Omit<ReclaimBatch, "cancelled"> {
  /** Transactions that claimed due reminders (the sweep of stuck ones is not counted). */
  batches: number;
  /** Stopped by the budget or the signal after a full batch: more are probably due (or stuck). */
  more: boolean;
}

/**
 * Claims batches, each in its own transaction, until one comes back short (nothing more is due or
 * the rest is held by another claimer) or the budget is spent; a backlog drains over a few ticks.
 * Then, within the same budget, sweeps stuck published reminders (reclaim.ts) the same way: due ones
 * go first, as a sweep only repairs what an outage left behind. After every batch that put events in
 * the outbox (committed by then), `onEventsCommitted` tells the relay, as transact() would.
 */
export async function claimDueReminders(
  ctx: Pick<DomainContext, "sql" | "onEventsCommitted" | "span">,
  options: ClaimOptions = {},
): Promise<ClaimResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be ≥ 1: ${batchSize}`);
  const deadline = performance.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  const spent = () => performance.now() >= deadline || options.signal?.aborted === true;
  const total: ClaimResult = {
    published: 0,
    cancelled: 0,
    republished: 0,
    gaveUp: 0,
    givenUp: [],
    batches: 0,
    more: false,
  };
  for (;;) {
    const batch = await claimBatch(ctx.sql, batchSize, ctx.span);
    if (batch.published > 0) ctx.onEventsCommitted?.();
    total.published += batch.published;
    total.cancelled += batch.cancelled;
    total.batches += 1;
    if (batch.published + batch.cancelled < batchSize) break;
    if (spent()) return { ...total, more: true };
  }
  for (;;) {
    const swept = await reclaimBatch(ctx.sql, batchSize, options, ctx.span);
    if (swept.republished > 0) ctx.onEventsCommitted?.();
    total.republished += swept.republished;
    total.gaveUp += swept.gaveUp;
    total.givenUp.push(...swept.givenUp);
    total.cancelled += swept.cancelled;
    if (swept.republished + swept.gaveUp + swept.cancelled < batchSize) return total;
    if (spent()) return { ...total, more: true };
  }
}
