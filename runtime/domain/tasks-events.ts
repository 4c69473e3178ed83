/**
 * The events a task's changes put in the outbox. Each carries the whole task object (with its new
 * `version`), so a consumer never has to read the database to know what changed, and can drop an
 * event older than the version it has already seen.
 */
import { type NewOutboxEvent, TOPICS } from "../outbox/enqueue.js";
import type { Task } from "./task-view.js";

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
