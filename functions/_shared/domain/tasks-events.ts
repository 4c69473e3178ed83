/**
 * The events a task's changes put in the outbox. Each carries the whole task object (with its new
 * `version`), so a consumer never has to read the database to know what changed, and can drop an
 * event older than the version it has already seen.
 */

import type { Sql } from "postgres";
import {
  type NewOutboxEvent,
  outboxCloudEventTemplate,
  PUBSUB,
  TOPICS,
} from "../../../runtime/outbox/enqueue.js";
import type { Span } from "../../../runtime/trace.js";
import type { Tx } from "./context.js";
import { type Task, taskJsonb } from "./task-view.js";

export const TASK_EVENT = {
  created: "taskbeat.task.created.v1",
  updated: "taskbeat.task.updated.v1",
  completed: "taskbeat.task.completed.v1",
  uncompleted: "taskbeat.task.uncompleted.v1",
  deleted: "taskbeat.task.deleted.v1",
} as const;

export type TaskEventKind = keyof typeof TASK_EVENT;
export type Emit = (event: NewOutboxEvent) => void;

export function emitTaskEvent(emit: Emit, kind: TaskEventKind, task: Task): void {
  const event = { type: TASK_EVENT[kind], subject: task.id, data: task };
  emit({ ...event, topic: TOPICS.taskEvents });
  // The recurring function listens only here, so it never sees the traffic it has no use for.
  if (kind === "completed" && task.recurrence_rule !== null) emit({ ...event, topic: TOPICS.taskRecurrence });
}

/**
 * emitTaskEvent(emit, "created", task) for a statement that inserts the task itself: its outbox row, the
 * event built in SQL from the CTE `created` (a TaskRow), for use as `announced as (${announceCreated(…)})`.
 * The row is the one enqueueEvents would insert: outboxCloudEventTemplate's envelope, `eventId` as row id
 * and event id, the task id as subject and partition key.
 */
export function announceCreated(db: Sql | Tx, eventId: string, span: Span | undefined) {
  return db`
    insert into outbox (id, pubsub, topic, partition_key, event)
    select ${eventId}, ${PUBSUB}, ${TOPICS.taskEvents}, t.id::text,
      ${db.json(outboxCloudEventTemplate(TASK_EVENT.created, span) as never)}::jsonb
        || jsonb_build_object('id', ${eventId}::text, 'subject', t.id, 'data', ${taskJsonb(db)})
    from created t`;
}
