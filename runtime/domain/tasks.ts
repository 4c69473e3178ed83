/**
 * Creating, reading and deleting tasks. Every write is one transaction with its outbox event, its
 * tags and its default reminder: a task is never visible without its event, or the other way round.
 * Updates live in tasks-update.ts, completion in tasks-status.ts, queries in tasks-query.ts.
 */
import { randomUUID } from "node:crypto";
import type { NewOutboxEvent } from "../outbox/enqueue.js";
import { type DomainContext, type Tx, transact } from "./context.js";
import { DomainError, notFound } from "./errors.js";
import { loadTasks, type Task } from "./task-view.js";
import { type Emit, emitTaskEvent } from "./tasks-events.js";
import {
  checkCategory,
  checkDescription,
  checkPriority,
  checkReachable,
  checkRule,
  checkTags,
  checkTaskId,
  checkTitle,
  firstDueDate,
  readDueDate,
  type TaskFields,
  taskZone,
} from "./tasks-input.js";
import { scheduleNewTaskReminders } from "./tasks-reminders.js";

export const MAX_BATCH = 25;

export type NewTask = TaskFields & { title: string };

/** Everything that can be checked without the database, so a bad call costs no transaction. */
function prepare(ctx: DomainContext, input: NewTask) {
  const title = checkTitle(input.title);
  const description = checkDescription(input.description ?? null);
  const priority = checkPriority(input.priority ?? "medium");
  const timeZone = taskZone(ctx.user, input.time_zone);
  const rule = checkRule(input.recurrence_rule ?? null);
  let dueAt = input.due_date == null ? null : readDueDate(input.due_date, timeZone);
  if (rule !== null && dueAt !== null) checkReachable(rule, dueAt, timeZone);
  if (rule !== null && dueAt === null) dueAt = firstDueDate(rule, timeZone);
  // The id is chosen here so a repeating task can name itself as its series.
  return { id: randomUUID(), title, description, priority, dueAt, rule, timeZone };
}

async function insertTask(
  tx: Tx,
  emit: Emit,
  ctx: DomainContext,
  input: NewTask,
  task = prepare(ctx, input),
): Promise<Task> {
  const userId = ctx.user.id;
  const categoryId = input.category_id == null ? null : await checkCategory(tx, userId, input.category_id);
  const tagIds = await checkTags(tx, userId, input.tag_ids ?? []);
  // Started in order, then awaited together: pipelined on the transaction's connection, Postgres runs
  // them in this order, and the rows, the reminder and the read-back cost one round trip instead of up
  // to four. If one fails, the ones after it fail too (the transaction is aborted): the first is thrown.
  const steps: Promise<unknown>[] = [
    tx`
      insert into tasks (id, user_id, title, description, priority, due_at, category_id, recurrence_rule,
        time_zone, series_id)
      values (${task.id}, ${userId}, ${task.title}, ${task.description}, ${task.priority}, ${task.dueAt},
        ${categoryId}, ${task.rule}, ${task.timeZone}, ${task.rule === null ? null : task.id})`.execute(),
  ];
  if (tagIds.length > 0) {
    steps.push(
      tx`
        insert into task_tags (task_id, tag_id, user_id)
        select ${task.id}, tag_id, ${userId} from unnest(${tagIds}::uuid[]) as tag_id`.execute(),
    );
  }
  if (task.dueAt !== null) steps.push(scheduleNewTaskReminders(tx, ctx.user, task.id, task.dueAt));
  const loading = loadTasks(tx, userId, [task.id]);
  const settled = await Promise.allSettled([...steps, loading]);
  const failed = settled.find((step) => step.status === "rejected");
  if (failed) throw failed.reason;
  const [created] = await loading;
  if (!created) throw new Error(`task ${task.id} vanished inside its own transaction`);
  emitTaskEvent(emit, "created", created);
  return created;
}

export async function addTask(ctx: DomainContext, input: NewTask): Promise<Task> {
  const task = prepare(ctx, input);
  return transact(ctx, (tx, emit) => insertTask(tx, emit, ctx, input, task));
}

export interface BatchFailure {
  index: number;
  code: string;
  message: string;
}

/**
 * Up to 25 tasks in one transaction, each inside its own savepoint: an item that fails is rolled back
 * alone (its rows and its event) and reported by index, the others commit together with their events.
 * Anything but a DomainError is an outage, not a bad item, and fails the whole batch.
 */
export async function addTasks(
  ctx: DomainContext,
  items: readonly NewTask[],
): Promise<{ tasks: Task[]; failures: BatchFailure[] }> {
  if (items.length === 0 || items.length > MAX_BATCH) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `Give between 1 and ${MAX_BATCH} tasks; ${items.length} were given.`,
    );
  }
  return transact(ctx, async (tx, emit) => {
    const tasks: Task[] = [];
    const failures: BatchFailure[] = [];
    for (const [index, item] of items.entries()) {
      const events: NewOutboxEvent[] = [];
      try {
        const task = await tx.savepoint((sp) => insertTask(sp, (event) => events.push(event), ctx, item));
        tasks.push(task);
        for (const event of events) emit(event);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        failures.push({ index, code: error.code, message: error.message });
      }
    }
    return { tasks, failures };
  });
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
