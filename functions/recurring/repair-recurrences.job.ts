/**
 * The recurrence sweep: a completed repeating task whose next occurrence never came (its task.completed
 * event dead-lettered or lost) gets it now, as the stuck-reminder sweep re-announces reminders
 * (functions/_shared/reminders/reclaim.ts). It runs the handler's own createNextOccurrence under an inbox
 * id of its own, one per completion (`sweep:<task>:<completed_at>`), so a later sweep, or the real event
 * arriving after all (a replayed dead letter), creates nothing twice: the series' "later occurrence
 * exists" check and its unique (series_id, due_at) key see to that.
 * Only completions older than GRACE (the normal path, retries included, is done by then) and younger than
 * HORIZON are looked at, and at most BATCH a run.
 */
import { defineJob } from "../../runtime/define.js";
import { TOPICS } from "../../runtime/outbox/enqueue.js";
import { TASK_EVENT } from "../_shared/domain/tasks-events.js";
import { CONSUMER, createNextOccurrence } from "../_shared/recurring/next-task.js";

const GRACE = "10 minutes";
const HORIZON = "30 days";
const BATCH = 100;

export default defineJob({
  async handle(_data, ctx) {
    const stuck = await ctx.sql<{ id: string; sweep_id: string }[]>`
      select t.id, s.sweep_id
      from tasks t
      cross join lateral (select 'sweep:' || t.id || ':' || t.completed_at::text as sweep_id) s
      where t.completed_at is not null and t.recurrence_rule is not null
        and t.completed_at < now() - ${GRACE}::interval and t.completed_at > now() - ${HORIZON}::interval
        and not exists (
          select 1 from tasks n
          where n.series_id = coalesce(t.series_id, t.id) and n.id <> t.id
            and n.due_at > coalesce(t.due_at, t.completed_at))
        -- Still on its way: the event waits in the outbox (the relay will publish it).
        and not exists (
          select 1 from outbox o
          where o.partition_key = t.id::text and o.topic = ${TOPICS.taskRecurrence}
            and o.event->>'type' = ${TASK_EVENT.completed})
        and not exists (select 1 from processed_events p where p.consumer = ${CONSUMER} and p.event_id = s.sweep_id)
      order by t.completed_at
      limit ${BATCH}`;
    let created = 0;
    for (const task of stuck) {
      const outcome = await createNextOccurrence(ctx, task.id, task.sweep_id);
      if (outcome.kind === "created") {
        created++;
        ctx.log.warn("next occurrence repaired (its task.completed event never arrived)", {
          taskId: task.id,
          nextTaskId: outcome.task.id,
        });
      }
    }
    if (stuck.length > 0) ctx.log.info("recurrence sweep", { looked_at: stuck.length, created });
  },
});
