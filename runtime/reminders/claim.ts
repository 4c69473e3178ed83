/**
 * Claiming due reminders for check-due-tasks. One statement per batch takes up to `limit` due pending
 * reminders, oldest first, with `FOR UPDATE SKIP LOCKED`, so overlapping ticks and replicas each get
 * other rows and no reminder is claimed twice. It marks them published, or cancelled when their task
 * is completed by now. The same transaction puts one taskbeat.reminder.due.v1 event per published
 * reminder into the outbox: a claim and its event commit together or not at all. After the due ones,
 * reclaim.ts sweeps reminders stuck in `published` (their mail never went out) and announces them again.
 */
import type { Sql } from "postgres";
import { type DomainContext, type Tx, transact } from "../domain/context.js";
import { type NewOutboxEvent, TOPICS } from "../outbox/enqueue.js";
import { REMINDER_DUE_TYPE, reminderDueData } from "./claim-event.js";
import { type ReclaimBatch, type ReclaimOptions, reclaimBatch } from "./reclaim.js";

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BUDGET_MS = 4_000;

interface ClaimedRow {
  id: string;
  task_id: string;
  user_id: string;
  remind_at: Date;
  due_at: Date | null;
  state: "published" | "cancelled";
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
 */
export function claimStatement(sql: Sql | Tx, limit: number) {
  return sql<ClaimedRow[]>`
    with due as materialized (
      select p.id, p.remind_at, t.completed, t.due_at
      from reminders p join tasks t on t.id = p.task_id
      where p.state = 'pending' and p.remind_at <= now()
      order by p.remind_at
      for update of p skip locked
      limit ${limit}
    )
    update reminders r
    set state = case when due.completed then 'cancelled' else 'published' end,
      attempts = r.attempts + case when due.completed then 0 else 1 end,
      updated_at = now()
    from due
    where r.id = due.id and r.state = 'pending' and r.remind_at <= (select max(remind_at) from due)
    returning r.id, r.task_id, r.user_id, r.remind_at, due.due_at, r.state`;
}

export interface BatchResult {
  /** Claimed and announced: state published, one event each. */
  published: number;
  /** Their task was completed: state cancelled, no event. */
  cancelled: number;
}

/** One batch inside the caller's transaction; `emit` is transact()'s outbox hook. */
export async function claimBatch(
  tx: Tx,
  emit: (event: NewOutboxEvent) => void,
  limit: number,
): Promise<BatchResult> {
  const rows = await claimStatement(tx, limit);
  const published = rows
    .filter((row) => row.state === "published")
    .sort((a, b) => a.remind_at.getTime() - b.remind_at.getTime());
  for (const row of published) {
    emit({
      topic: TOPICS.taskReminders,
      type: REMINDER_DUE_TYPE,
      subject: row.id,
      data: reminderDueData(row),
    });
  }
  return { published: published.length, cancelled: rows.length - published.length };
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
 * go first, as a sweep only repairs what an outage left behind.
 */
export async function claimDueReminders(
  ctx: Pick<DomainContext, "sql" | "onEventsCommitted">,
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
    batches: 0,
    more: false,
  };
  for (;;) {
    const batch = await transact(ctx, (tx, emit) => claimBatch(tx, emit, batchSize));
    total.published += batch.published;
    total.cancelled += batch.cancelled;
    total.batches += 1;
    if (batch.published + batch.cancelled < batchSize) break;
    if (spent()) return { ...total, more: true };
  }
  for (;;) {
    const swept = await transact(ctx, (tx, emit) => reclaimBatch(tx, emit, batchSize, options));
    total.republished += swept.republished;
    total.gaveUp += swept.gaveUp;
    total.cancelled += swept.cancelled;
    if (swept.republished + swept.gaveUp + swept.cancelled < batchSize) return total;
    if (spent()) return { ...total, more: true };
  }
}
