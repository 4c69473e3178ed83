/**
 * update_task: a partial change where `null` clears a field. Only what actually changes is written;
 * a call that changes nothing bumps no version and emits nothing, so repeating it is harmless.
 * Completion is not a field here: complete_task and uncomplete_task own it and its events.
 */
import type { CallNotes } from "./call-notes.js";
import { type DomainContext, type Tx, transact } from "./context.js";
import { checkTimeZone } from "./dates.js";
import { DomainError, isUniqueViolation, notFound } from "./errors.js";
import { loadTasks, type Task } from "./task-view.js";
import { emitTaskEvent } from "./tasks-events.js";
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
  parseCategoryId,
  parseTagIds,
  readDueDate,
  type TaskFields,
  warnAboutDueDate,
} from "./tasks-input.js";
import { cancelPendingReminders, followDueDate } from "./tasks-reminders.js";

interface Row {
  title: string;
  description: string | null;
  priority: string;
  due_at: Date | null;
  category_id: string | null;
  recurrence_rule: string | null;
  time_zone: string;
  series_id: string | null;
  /** The due date the series' rule counts from (its first task's); null when this task is the first. */
  series_start_at: Date | null;
  completed: boolean;
}

export async function updateTask(
  ctx: DomainContext,
  rawId: string,
  changes: TaskFields,
  notes?: CallNotes,
): Promise<Task> {
  if (Object.values(changes).every((value) => value === undefined)) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "Nothing to change: give at least one of title, description, priority, due_date, category_id, " +
        "tag_ids, recurrence_rule or time_zone.",
    );
  }
  const id = checkTaskId(rawId);
  const checked = {
    title: changes.title === undefined ? undefined : checkTitle(changes.title),
    description: changes.description === undefined ? undefined : checkDescription(changes.description),
    priority: changes.priority === undefined ? undefined : checkPriority(changes.priority),
    time_zone: changes.time_zone === undefined ? undefined : checkTimeZone(changes.time_zone),
    recurrence_rule: changes.recurrence_rule === undefined ? undefined : checkRule(changes.recurrence_rule),
    // Malformed ids and too many tags before the database, in add_task's order (task-insert.ts).
    category_id: changes.category_id == null ? changes.category_id : parseCategoryId(changes.category_id),
    tag_ids: changes.tag_ids === undefined ? undefined : parseTagIds(changes.tag_ids),
  };
  const userId = ctx.user.id;
  return transact(ctx, async (tx, emit) => {
    // The labels before the task: the lock order in tasks-input.ts, which delete_category relies on.
    const categoryId =
      checked.category_id == null
        ? checked.category_id
        : await checkCategory(tx, userId, checked.category_id);
    const tagIds = checked.tag_ids === undefined ? undefined : await checkTags(tx, userId, checked.tag_ids);
    const [row] = await tx<Row[]>`
      select title, description, priority, due_at, category_id, recurrence_rule, time_zone, series_id,
        series_start_at, completed
      from tasks where id = ${id} and user_id = ${userId} for no key update`;
    if (!row) throw notFound("task", id);
    const timeZone = checked.time_zone ?? row.time_zone;
    const rule = checked.recurrence_rule === undefined ? row.recurrence_rule : checked.recurrence_rule;
    let dueAt = row.due_at;
    if (changes.due_date !== undefined) {
      dueAt = changes.due_date === null ? null : readDueDate(changes.due_date, timeZone, notes);
      if (dueAt !== null) warnAboutDueDate(notes, dueAt, timeZone, null);
    }
    if (rule !== null && dueAt === null) {
      if (changes.due_date === null) {
        throw new DomainError(
          "INVALID_DUE_DATE",
          "A repeating task needs a due date; to remove it, set recurrence_rule to null as well.",
        );
      }
      dueAt = firstDueDate(rule, timeZone);
    } else if (rule !== null && dueAt !== null) {
      // Set, or kept under a new due date or zone: a rule the task can never follow again is refused.
      const moved = changes.due_date !== undefined || checked.time_zone !== undefined;
      if (checked.recurrence_rule !== undefined || moved) checkReachable(rule, dueAt, timeZone);
    }
    const next: Partial<Row> = {
      title: checked.title,
      description: checked.description,
      priority: checked.priority,
      due_at: dueAt,
      category_id: categoryId,
      recurrence_rule: rule,
      time_zone: timeZone,
      series_id: rule !== null && row.series_id === null ? id : undefined,
      // A new rule applies from this task on: it counts (INTERVAL, COUNT, the time of day) from this
      // task's due date. A moved due date or zone alone moves this task only; the series keeps its rhythm.
      series_start_at: rule !== row.recurrence_rule ? dueAt : undefined,
    };
    const set = Object.fromEntries(
      Object.entries(next).filter(
        ([key, value]) => value !== undefined && !same(value, row[key as keyof Row]),
      ),
    );
    const tagsChanged = tagIds !== undefined && (await replaceTags(tx, userId, id, tagIds));
    if (Object.keys(set).length > 0 || tagsChanged) {
      await write(tx, id, set);
      if ("due_at" in set && !row.completed) {
        if (dueAt === null) await cancelPendingReminders(tx, id, "due_cleared");
        else await followDueDate(tx, ctx.user, id, dueAt);
      }
    }
    const [task] = await loadTasks(tx, userId, [id]);
    if (!task) throw notFound("task", id);
    if (Object.keys(set).length > 0 || tagsChanged) emitTaskEvent(emit, "updated", task);
    return task;
  });
}

const same = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;

async function write(tx: Tx, id: string, set: Record<string, unknown>): Promise<void> {
  try {
    // The column helper must sit right after "update … set" to render as assignments.
    if (Object.keys(set).length === 0) {
      await tx`update tasks set version = version + 1, updated_at = now() where id = ${id}`;
    } else {
      await tx`update tasks set ${tx(set)}, version = version + 1, updated_at = now() where id = ${id}`;
    }
  } catch (error) {
    // The only unique index a task update can hit: (series_id, due_at).
    if (!isUniqueViolation(error)) throw error;
    throw new DomainError(
      "VALIDATION_ERROR",
      "Another task of this repeating series is already due at that time; choose a different due date.",
    );
  }
}

/** Makes the task's tags exactly `wanted` (checked ids); true when that changed anything. */
async function replaceTags(tx: Tx, userId: string, taskId: string, wanted: string[]): Promise<boolean> {
  const removed = await tx`
    delete from task_tags where task_id = ${taskId} and not (tag_id = any(${wanted}::uuid[])) returning 1`;
  const added = await tx`
    insert into task_tags (task_id, tag_id, user_id)
    select ${taskId}, tag_id, ${userId} from unnest(${wanted}::uuid[]) as tag_id
    on conflict do nothing returning 1`;
  return removed.length + added.length > 0;
}
