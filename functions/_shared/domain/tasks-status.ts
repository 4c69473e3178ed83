/**
 * Completing and reopening a task. Both are idempotent: completing a completed task (or reopening an
 * open one) writes nothing and emits nothing, so a retried call can never create a second occurrence
 * of a repeating task downstream.
 */
import { type DomainContext, transact } from "./context.js";
import { notFound } from "./errors.js";
import { loadTasks, type Task } from "./task-view.js";
import { emitTaskEvent } from "./tasks-events.js";
import { checkTaskId } from "./tasks-input.js";
import { cancelPendingReminders, restoreReminders } from "./tasks-reminders.js";

/** Marks it done and cancels its pending reminders; a repeating one also goes to task-recurrence. */
export const completeTask = async (ctx: DomainContext, id: string) =>
  (await setCompleted(ctx, id, true)).task;

/** Reopens it; the reminders completing it cancelled come back, if their time is still ahead. */
export const uncompleteTask = async (ctx: DomainContext, id: string) =>
  (await setCompleted(ctx, id, false)).task;

/** Completes or reopens it; `changed` is false when it already was so (nothing written, nothing emitted). */
export async function setCompleted(
  ctx: DomainContext,
  rawId: string,
  completed: boolean,
): Promise<{ task: Task; changed: boolean }> {
  const id = checkTaskId(rawId);
  const userId = ctx.user.id;
  return transact(ctx, async (tx, emit) => {
    // The row lock makes two racing calls take turns: only the first sees a change to make.
    const changed = await tx<{ due_at: Date | null }[]>`
      update tasks set completed = ${completed},
        completed_at = ${completed ? tx`now()` : null},
        version = version + 1, updated_at = now()
      where id = ${id} and user_id = ${userId} and completed <> ${completed}
      returning due_at`;
    const [row] = changed;
    if (row) {
      if (completed) await cancelPendingReminders(tx, id, "completed");
      else await restoreReminders(tx, ctx.user, id, row.due_at);
    }
    const [task] = await loadTasks(tx, userId, [id]);
    if (!task) throw notFound("task", id);
    if (row) emitTaskEvent(emit, completed ? "completed" : "uncompleted", task);
    return { task, changed: row !== undefined };
  });
}
