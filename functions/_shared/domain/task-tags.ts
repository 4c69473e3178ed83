/**
 * Putting a tag on a task and taking it off. Either is a change to the task: its `version` and `updated_at`
 * move and `taskbeat.task.updated.v1` carries the new task object, in the same transaction. A call that
 * changes nothing (the tag is already there, or already gone) bumps nothing and emits nothing, so
 * assistants can repeat it safely.
 */
import { type DomainContext, type Tx, transact } from "./context.js";
import { DomainError, notFound } from "./errors.js";
import { parseId } from "./ids.js";
import { loadTasks, type Task } from "./task-view.js";
import { type Emit, emitTaskEvent } from "./tasks-events.js";

export const MAX_TAGS_PER_TASK = 10;

/**
 * Checks the user's tag and locks the user's task, in that order (label rows before task rows, see
 * tasks-input.ts). KEY SHARE on the tag keeps delete_tag from removing it before our row is in. The task
 * lock (NO KEY UPDATE, what the version bump takes anyway, and what update_task takes before replacing
 * tags) makes concurrent tag changes on one task take turns, so the 10-tag count cannot be raced.
 */
async function lockTagAndTask(tx: Tx, userId: string, taskId: string, tagId: string): Promise<void> {
  const [tag] = await tx`select 1 from tags where id = ${tagId} and user_id = ${userId} for key share`;
  const [task] = await tx`select 1 from tasks where id = ${taskId} and user_id = ${userId} for no key update`;
  if (!task) throw notFound("task", taskId);
  if (!tag) throw notFound("tag", tagId);
}

/** The task as it now reads; when `changed`, its version moves first and the event carries it. */
async function finish(tx: Tx, userId: string, taskId: string, changed: boolean, emit: Emit): Promise<Task> {
  if (changed) await tx`update tasks set version = version + 1, updated_at = now() where id = ${taskId}`;
  const [task] = await loadTasks(tx, userId, [taskId]);
  if (!task) throw notFound("task", taskId);
  if (changed) emitTaskEvent(emit, "updated", task);
  return task;
}

/** Both ids as the database spells them. */
function checkIds(rawTask: string, rawTag: string): [string, string] {
  const taskId = parseId(rawTask);
  if (taskId === undefined) throw notFound("task", rawTask);
  const tagId = parseId(rawTag);
  if (tagId === undefined) throw notFound("tag", rawTag);
  return [taskId, tagId];
}

export async function addTagToTask(ctx: DomainContext, rawTask: string, rawTag: string): Promise<Task> {
  const [taskId, tagId] = checkIds(rawTask, rawTag);
  const userId = ctx.user.id;
  return transact(ctx, async (tx, emit) => {
    await lockTagAndTask(tx, userId, taskId, tagId);
    const [state] = await tx<{ count: number; present: boolean }[]>`
      select count(*)::int as count, coalesce(bool_or(tag_id = ${tagId}), false) as present
      from task_tags where task_id = ${taskId}`;
    if (state?.present) return finish(tx, userId, taskId, false, emit);
    // Checked after "already there", so re-adding a tag to a full task is the no-op it should be.
    if ((state?.count ?? 0) >= MAX_TAGS_PER_TASK) {
      throw new DomainError(
        "TOO_MANY_TAGS",
        `A task can have at most ${MAX_TAGS_PER_TASK} tags and this one has ${state?.count}; remove one first.`,
      );
    }
    await tx`insert into task_tags (task_id, tag_id, user_id) values (${taskId}, ${tagId}, ${userId})`;
    return finish(tx, userId, taskId, true, emit);
  });
}

export async function removeTagFromTask(ctx: DomainContext, rawTask: string, rawTag: string): Promise<Task> {
  const [taskId, tagId] = checkIds(rawTask, rawTag);
  const userId = ctx.user.id;
  return transact(ctx, async (tx, emit) => {
    await lockTagAndTask(tx, userId, taskId, tagId);
    const removed =
      await tx`delete from task_tags where task_id = ${taskId} and tag_id = ${tagId} returning 1`;
    return finish(tx, userId, taskId, removed.length > 0, emit);
  });
}
