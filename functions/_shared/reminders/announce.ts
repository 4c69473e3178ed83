/**
 * The events of a claim, put into the outbox by the claiming statement itself: a data-modifying CTE
 * over the rows its UPDATE returned, one taskbeat.reminder.due.v1 event per row left `published`.
 * Reading the claimed rows back into JS, building their events there and sending them back as a
 * 5-parameters-per-row INSERT was over half of a 1,000-reminder tick in bench/claim.ts; this way only
 * counts cross the wire, and a batch is one statement, so one transaction with no BEGIN and COMMIT
 * round trips (see claim.ts).
 *
 * The rows are those enqueueEvents would insert for `reminderDueData(row)`: outboxCloudEventTemplate's
 * envelope (its `time` is when the statement was built, as createCloudEvent's is when an event is
 * emitted), a fresh random UUID as both row id and event id, the reminder id as subject and partition
 * key. announce.test.ts compares the two paths field by field.
 */
import type { Sql } from "postgres";
import { outboxCloudEventTemplate, PUBSUB, TOPICS } from "../../../runtime/outbox/enqueue.js";
import type { Span } from "../../../runtime/trace.js";
import type { Tx } from "../domain/context.js";
import { REMINDER_DUE_TYPE } from "./claim-event.js";

/**
 * `insert into outbox …` reading the CTE named `claimed`, which must return the claimed rows' `id`,
 * `task_id`, `user_id`, `remind_at`, `due_at` (the task's) and new `state`; for use as
 * `announced as (${announceClaimed(sql, span)})` in the same WITH (`span`: the tick's, whose trace the events continue). Rows are inserted oldest first, so the
 * relay publishes them in that order. Timestamps are formatted as Date#toISOString does: UTC,
 * milliseconds truncated (as postgres.js's Date is), four-digit years (dates are 1900–9999).
 */
export function announceClaimed(sql: Sql | Tx, span: Span | undefined) {
  return sql`
    insert into outbox (id, pubsub, topic, partition_key, event)
    select e.event_id, ${PUBSUB}, ${TOPICS.taskReminders}, e.id::text,
      ${sql.json(outboxCloudEventTemplate(REMINDER_DUE_TYPE, span) as never)}::jsonb || jsonb_build_object(
        'id', e.event_id,
        'subject', e.id,
        'data', jsonb_build_object(
          'reminder_id', e.id,
          'task_id', e.task_id,
          'user_id', e.user_id,
          'remind_at', to_char(e.remind_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'due_at', to_char(e.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
    from (
      -- gen_random_uuid() in this select list runs once per row (as an uncorrelated lateral subquery it
      -- ran once for all). The ORDER BY is kept up to the insert, which takes seq numbers in this order.
      select gen_random_uuid() as event_id, c.* from claimed c
      where c.state = 'published'
      order by c.remind_at, c.id
    ) e`;
}
