/**
 * The sweep of stuck reminders, run by check-due-tasks after the due ones. A reminder stays `published`
 * when its event never led to a mail: the mail failed temporarily (SMTP down) until the consumer's
 * retries ran out and the event went to the dead-letter topic, or the relay gave up on it (outbox_dead).
 * Once it has not moved for a while it is announced again with a fresh event. That is safe: the email
 * handler mails only a `published` reminder, under its row lock, and marks it `sent` in the same
 * transaction, so an old event arriving late and the new one give one mail between them.
 *
 * The wait grows with each announcement (`attempts` counts them: the claim and every re-announcement):
 * `staleAfterMs` (10 min) after the first, doubling up to `maxWaitMs` (1 h), so an outage of hours costs
 * a few announcements an hour, not one per tick. Mail attempts are counted apart (`send_attempts`), and
 * neither count ends the retries: a reminder is given up (`failed`) only once `horizonMs` (24 h by
 * default, REMINDER_RETRY_HORIZON_MS) has passed since its `remind_at`, or at once by the email handler
 * when the server refuses it permanently (5xx). The mailer's temporary failures bump `updated_at`, so a
 * reminder still being retried is never stale.
 */

import type { Sql } from "postgres";
import { TOPICS } from "../../../runtime/outbox/enqueue.js";
import type { Span } from "../../../runtime/trace.js";
import type { Tx } from "../domain/context.js";
import { announceClaimed } from "./announce.js";
import { reminderRetryHorizonMs } from "./retry-policy.js";

export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
export const DEFAULT_MAX_WAIT_MS = 60 * 60_000;

export interface ReclaimOptions {
  /** A `published` reminder untouched this long after its first announcement is stuck. Default 10 minutes. */
  staleAfterMs?: number;
  /** The longest wait between announcements (the wait doubles per announcement). Default 1 hour. */
  maxWaitMs?: number;
  /** Retry until this long after `remind_at`, then give up. Default REMINDER_RETRY_HORIZON_MS (24 h). */
  horizonMs?: number;
}

/** A reminder the sweep gave up on: what to log at level error. */
export interface GivenUpReminder {
  id: string;
  sendAttempts: number;
  lastError: string | null;
}

export interface ReclaimBatch {
  /** Announced again: one new event each. */
  republished: number;
  /** Past the retry horizon: state failed, no event. */
  gaveUp: number;
  /** Their task was completed meanwhile: state cancelled, no event. */
  cancelled: number;
  /** The reminders given up, for the error log. */
  givenUp: GivenUpReminder[];
}

/**
 * One statement, shaped like claimStatement (see there for MATERIALIZED, the outer predicates and the
 * events inserted by `announced`): it walks reminders_published_idx oldest first (from the shortest
 * wait; the per-row wait filters on), locks, stops at `limit`. A reminder whose event still waits in
 * the outbox (the relay backing off while the sidecar is away) is not stuck, only late: it is skipped,
 * found through outbox_partition_idx (the partition key is the reminder id).
 */
export function reclaimStatement(sql: Sql | Tx, limit: number, options: ReclaimOptions = {}, span?: Span) {
  const staleSecs = (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 1000;
  const maxWaitSecs = Math.max(staleSecs, (options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS) / 1000);
  const horizonSecs = (options.horizonMs ?? reminderRetryHorizonMs()) / 1000;
  return sql<ReclaimBatch[]>`
    with stuck as materialized (
      select p.id, p.updated_at, t.completed, t.due_at,
        p.remind_at < now() - make_interval(secs => ${horizonSecs}::float8) as expired
      from reminders p join tasks t on t.id = p.task_id
      where p.state = 'published' and p.updated_at < now() - make_interval(secs => ${staleSecs}::float8)
        and (p.remind_at < now() - make_interval(secs => ${horizonSecs}::float8)
          or p.updated_at < now() - make_interval(secs => least(${maxWaitSecs}::float8,
            ${staleSecs}::float8 * power(2, least(greatest(p.attempts, 1) - 1, 30)))))
        and not exists (
          select 1 from outbox o where o.partition_key = p.id::text and o.topic = ${TOPICS.taskReminders})
      order by p.updated_at
      for update of p skip locked
      limit ${limit}
    ), claimed as (
      update reminders r
      set state = case when stuck.completed then 'cancelled' when stuck.expired then 'failed'
          else 'published' end,
        attempts = r.attempts + case when stuck.completed or stuck.expired then 0 else 1 end,
        last_error = case when not stuck.completed and stuck.expired
          then 'gave up ' || ${horizonSecs / 3600}::float8 || ' h after remind_at, after ' || r.send_attempts
            || ' mail attempts: ' || coalesce(r.last_error, 'no mail attempt')
          else r.last_error end,
        updated_at = now()
      from stuck
      where r.id = stuck.id and r.state = 'published' and r.updated_at <= (select max(updated_at) from stuck)
      returning r.id, r.task_id, r.user_id, r.remind_at, stuck.due_at, r.state, r.send_attempts, r.last_error
    ), announced as (${announceClaimed(sql, span)})
    select count(*) filter (where state = 'published')::int as republished,
      count(*) filter (where state = 'failed')::int as "gaveUp",
      count(*) filter (where state = 'cancelled')::int as cancelled,
      coalesce(json_agg(json_build_object('id', id, 'sendAttempts', send_attempts, 'lastError', last_error))
        filter (where state = 'failed'), '[]') as "givenUp"
    from claimed`;
}

/** One batch: one statement, a transaction of its own on the pool (see claimBatch). */
export async function reclaimBatch(
  sql: Sql | Tx,
  limit: number,
  options: ReclaimOptions = {},
  span?: Span,
): Promise<ReclaimBatch> {
  const [counts] = await reclaimStatement(sql, limit, options, span);
  return counts ?? { republished: 0, gaveUp: 0, cancelled: 0, givenUp: [] };
}
