/**
 * Trigger: `taskbeat.task.completed.v1` on `task-recurrence` (a repeating task was completed).
 * Effects: creates the series' next occurrence (fields, tags, reminder offsets) and puts `task.created` in
 * the outbox. Idempotency: inbox row ("recurring.task-completed", event id) in the same transaction; the
 * unique (series_id, due_at) key and "the series already has a later task" make a re-completion a no-op.
 */
import { defineSubscription } from "../../runtime/define.js";
import { PUBSUB, TOPICS } from "../../runtime/outbox/enqueue.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { TASK_EVENT } from "../_shared/domain/tasks-events.js";
import { createNextOccurrence } from "../_shared/recurring/next-task.js";

export default defineSubscription({
  pubsub: PUBSUB,
  topic: TOPICS.taskRecurrence,
  // The completed task as it was at completion; only its id is trusted, the row decides the rest.
  schema: TaskSchema,
  types: [TASK_EVENT.completed],
  async handle(completed, ctx) {
    const outcome = await createNextOccurrence(ctx, completed.id, ctx.event.id);
    const log = ctx.log.child({ taskId: completed.id, seriesId: completed.series_id });
    if (outcome.kind === "created") {
      log.info("next occurrence created", { nextTaskId: outcome.task.id, dueDate: outcome.task.due_date });
    } else if (outcome.kind === "skipped") {
      log.info("no next occurrence", { reason: outcome.reason });
    } else {
      log.debug("next occurrence already handled", { outcome: outcome.kind });
    }
  },
});
