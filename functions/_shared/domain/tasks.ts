/**
 * Creating, reading and deleting tasks. Every write commits with its outbox event, and a new task with its
 * tags and its default reminder (task-insert.ts): a task is never visible without its event, or the
 * other way round. Updates live in tasks-update.ts, completion in tasks-status.ts, queries in
 * tasks-query.ts.
 */
import { randomUUID } from "node:crypto";
import type { CallNotes } from "./call-notes.js";
import { type DomainContext, transact } from "./context.js";
import { DomainError, notFound } from "./errors.js";
import { insertTask, type NewTaskRow } from "./task-insert.js";
import { loadTasks, type Task } from "./task-view.js";
import { emitTaskEvent } from "./tasks-events.js";
import {
  checkDescription,
  checkPriority,
  checkReachable,
  checkRule,
  checkTaskId,
  checkTitle,
  firstDueDate,
  parseCategoryId,
  parseTagIds,
  readDueDate,
  type TaskFields,
  taskZone,
  warnAboutDueDate,
} from "./tasks-input.js";

export const MAX_BATCH = 25;

export type NewTask = TaskFields & {
  title: string;
  /** Idempotency key: a call with one used before returns that call's task (migration 0009). */
  request_id?: string | null | undefined;
};

export const MAX_REQUEST_ID = 200;

/**
 * Everything that can be checked without the database, so a bad call costs no round trip; whether the
 * category and the tags are the user's is checked by the insert itself.
 */
function prepare(ctx: DomainContext, input: NewTask, notes?: CallNotes): NewTaskRow {
  const title = checkTitle(input.title);
  const description = checkDescription(input.description ?? null);
  const priority = checkPriority(input.priority ?? "medium");
  const timeZone = taskZone(ctx.user, input.time_zone);
  const rule = checkRule(input.recurrence_rule ?? null);
  let dueAt = input.due_date == null ? null : readDueDate(input.due_date, timeZone, notes);
  if (dueAt !== null) warnAboutDueDate(notes, dueAt, timeZone, ctx.user.defaultReminderMinutes);
  if (rule !== null && dueAt !== null) checkReachable(rule, dueAt, timeZone);
  if (rule !== null && dueAt === null) dueAt = firstDueDate(rule, timeZone);
  const categoryId = input.category_id == null ? null : parseCategoryId(input.category_id);
  const tagIds = parseTagIds(input.tag_ids ?? []);
  const requestId = checkRequestId(input.request_id);
  return {
    id: randomUUID(),
    title,
    description,
    priority,
    dueAt,
    rule,
    timeZone,
    categoryId,
    tagIds,
    requestId,
  };
}

function checkRequestId(raw: string | null | undefined): string | null {
  const key = raw?.trim() ?? "";
  if (key === "") return null;
  if ([...key].length > MAX_REQUEST_ID) {
    throw new DomainError("VALIDATION_ERROR", `A request_id can be at most ${MAX_REQUEST_ID} characters.`);
  }
  return key;
}

/** One statement, outside a transaction: it commits on its own (see task-insert.ts). */
export async function addTask(ctx: DomainContext, input: NewTask, notes?: CallNotes): Promise<Task> {
  const { task, replayed } = await insertTask(ctx.sql, ctx.user, prepare(ctx, input, notes), ctx.span);
  if (replayed) {
    notes?.warn(
      `request_id "${input.request_id}" was used before: this is the task that call created, unchanged; ` +
        "nothing new was created. Use a new request_id for a new task.",
    );
    return task;
  }
  ctx.onEventsCommitted?.();
  return task;
}

export interface BatchFailure {
  index: number;
  code: string;
  message: string;
}

/**
 * Up to 25 tasks in one transaction. An item that fails is reported by index and writes nothing (it is
 * refused before its insert, or its insert finds a label missing and inserts nothing), so the others
 * commit together with their events. Anything but a DomainError is an outage, not a bad item, and fails
 * the whole batch. The inserts are sent together, in order, and cost one round trip.
 */
export async function addTasks(
  ctx: DomainContext,
  items: readonly NewTask[],
): Promise<{ tasks: Task[]; failures: BatchFailure[]; replayed: number[] }> {
  if (items.length === 0 || items.length > MAX_BATCH) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `Give between 1 and ${MAX_BATCH} tasks; ${items.length} were given.`,
    );
  }
  const result = await ctx.sql.begin(async (tx) => {
    const settled = await Promise.allSettled(
      // async: prepare() throws a bad item's DomainError, which must reject that item's promise only.
      items.map(async (item) => insertTask(tx, ctx.user, prepare(ctx, item), ctx.span)),
    );
    const tasks: Task[] = [];
    const failures: BatchFailure[] = [];
    const replayed: number[] = [];
    for (const [index, outcome] of settled.entries()) {
      if (outcome.status === "fulfilled") {
        tasks.push(outcome.value.task);
        if (outcome.value.replayed) replayed.push(index);
        continue;
      }
      if (!(outcome.reason instanceof DomainError)) throw outcome.reason;
      failures.push({ index, code: outcome.reason.code, message: outcome.reason.message });
    }
    return { tasks, failures, replayed };
  });
  if (result.tasks.length > result.replayed.length) ctx.onEventsCommitted?.();
  return result;
}

export async function getTask(ctx: DomainContext, rawId: string): Promise<Task> {
  const id = checkTaskId(rawId);
  const [task] = await loadTasks(ctx.sql, ctx.user.id, [id]);
  if (!task) throw notFound("task", id);
  return task;
}

/** Its reminders and tag links go with it (foreign keys cascade); the event carries its last state. */
export async function deleteTask(ctx: DomainContext, rawId: string): Promise<Task> {
  const id = checkTaskId(rawId);
  return transact(ctx, async (tx, emit) => {
    await tx`select 1 from tasks where id = ${id} and user_id = ${ctx.user.id} for update`;
    const [task] = await loadTasks(tx, ctx.user.id, [id]);
    if (!task) throw notFound("task", id);
    await tx`delete from tasks where id = ${id}`;
    // Deleting is a change too: a consumer ordering by version sees it after every update.
    emitTaskEvent(emit, "deleted", { ...task, version: task.version + 1 });
    return task;
  });
}
