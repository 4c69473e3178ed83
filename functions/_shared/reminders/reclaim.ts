/**
 * The sweep of stuck reminders, run by check-due-tasks after the due ones. A reminder stays `published`
 * for ever when its event never led to a mail: the consumer's retries ran out (SMTP down for long) and
 * the event went to the dead-letter topic, or the relay gave up on it (outbox_dead). Once it has not
 * moved for `staleAfterMs` it is announced again with a fresh event. That is safe: the email handler
 * mails only a `published` reminder, under its row lock, and marks it `sent` in the same transaction,
 * so an old event arriving late and the new one give one mail between them.
 * `attempts` counts claims and send attempts together; at `maxAttempts` the reminder is `failed`.
 * The mailer's temporary failures bump `updated_at`, so a reminder still being retried is never stale.
 */
import type { Sql } from "postgres";
import { TOPICS } from "../../../runtime/outbox/enqueue.js";
import type { Tx } from "../domain/context.js";
import { announceClaimed } from "./announce.js";

export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
export const DEFAULT_MAX_ATTEMPTS = 10;

export interface ReclaimOptions {
  /** A `published` reminder untouched this long is stuck. Default 10 minutes. */
  staleAfterMs?: number;
  /** Attempts (claims + sends) after which a stuck reminder is `failed`. Default 10. */
  maxAttempts?: number;
}

export interface ReclaimBatch {
  /** Announced again: one new event each. */
  republished: number;
  /** Out of attempts: state failed, no event. */
  gaveUp: number;
  /** Their task was completed meanwhile: state cancelled, no event. */
  cancelled: number;
}

/**
 * One statement, shaped like claimStatement (see there for MATERIALIZED, the outer predicates and the
 * events inserted by `announced`): it walks reminders_published_idx oldest first, locks, stops at
 * `limit`. A reminder whose event still waits in the outbox (the relay backing off while the sidecar
 * is away) is not stuck, only late: it is skipped, found through outbox_partition_idx (the partition
 * key is the reminder id).
 */
export function reclaimStatement(sql: Sql | Tx, limit: number, options: ReclaimOptions = {}) {
  const staleSecs = (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 1000;
  const cap = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return sql<ReclaimBatch[]>`
    with stuck as materialized (
      select p.id, p.updated_at, t.completed, t.due_at
      from reminders p join tasks t on t.id = p.task_id
      where p.state = 'published' and p.updated_at < now() - make_interval(secs => ${staleSecs}::float8)
        and not exists (
          select 1 from outbox o where o.partition_key = p.id::text and o.topic = ${TOPICS.taskReminders})
      order by p.updated_at
      for update of p skip locked
      limit ${limit}
    ), claimed as (
      update reminders r
      set state = case when stuck.completed then 'cancelled' when r.attempts >= ${cap} then 'failed'
          else 'published' end,
        attempts = r.attempts + case when stuck.completed or r.attempts >= ${cap} then 0 else 1 end,
        last_error = case when not stuck.completed and r.attempts >= ${cap}
          then 'gave up after ' || r.attempts || ' attempts' else r.last_error end,
        updated_at = now()
      from stuck
      where r.id = stuck.id and r.state = 'published' and r.updated_at <= (select max(updated_at) from stuck)
      returning r.id, r.task_id, r.user_id, r.remind_at, stuck.due_at, r.state
    ), announced as (${announceClaimed(sql)})
    select count(*) filter (where state = 'published')::int as republished,
      count(*) filter (where state = 'failed')::int as "gaveUp",
      count(*) filter (where state = 'cancelled')::int as cancelled
    from claimed`;
}

/** One batch: one statement, a transaction of its own on the pool (see claimBatch). */
export async function reclaimBatch(
  sql: Sql | Tx,
  limit: number,
  options: ReclaimOptions = {},
): Promise<ReclaimBatch> {
  const [counts] = await reclaimStatement(sql, limit, options);
  return counts ?? { republished: 0, gaveUp: 0, cancelled: 0 };
}
