/**
 * A new task, with its tags, its default reminder and its taskbeat.task.created.v1 event, in one
 * statement (data-modifying CTEs): one round trip, which commits on its own outside a transaction. It
 * was BEGIN, the inserts and the read-back, the outbox insert and COMMIT, four round trips and a good
 * part of add_task's latency.
 *
 * The labels are checked in the same statement: their rows are locked (KEY SHARE, so delete_category
 * and delete_tag cannot remove them before the task is in) ahead of the inserts, as the lock order in
 * tasks-input.ts asks, and when the category or a tag is not the user's nothing is inserted and the
 * caller is told which. The rows inserted by one statement are not visible to its other parts, so the
 * task object is built from the inserted row and the locked label rows, not read back from the tables.
 */

import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import type { Span } from "../../../runtime/trace.js";
import type { Tx, User } from "./context.js";
import { notFound } from "./errors.js";
import {
  labelJson,
  loadTasks,
  type Priority,
  type Task,
  type TaskRow,
  tagsJson,
  taskRowColumns,
  toTask,
} from "./task-view.js";
import { announceCreated } from "./tasks-events.js";
import { newTaskReminders } from "./tasks-reminders.js";

/** A task as add_task has read and checked it, its labels' ids parsed but not yet looked up. */
export interface NewTaskRow {
  /** Chosen beforehand, so a repeating task can name itself as its series. */
  id: string;
  title: string;
  description: string | null;
  priority: Priority;
  dueAt: Date | null;
  rule: string | null;
  timeZone: string;
  categoryId: string | null;
  /** Distinct. */
  tagIds: string[];
  /** The caller's idempotency key (add_task's request_id), or null. */
  requestId: string | null;
}

type InsertedRow = TaskRow & { category_found: boolean; missing_tag: string | null };

export interface InsertedTask {
  task: Task;
  /** Not created now: the request_id named a task an earlier call created, returned as it is. */
  replayed: boolean;
}

/** Inserts `task` and its outbox event, which continues `span`'s trace (the request's). */
export async function insertTask(
  db: Sql | Tx,
  user: User,
  task: NewTaskRow,
  span: Span | undefined,
): Promise<InsertedTask> {
  const [row] = await db<InsertedRow[]>`
    with category as (
      select id, name, color from categories
      where id = ${task.categoryId} and user_id = ${user.id}
      for key share
    ), tag as (
      select id, name, color from tags
      where user_id = ${user.id} and id = any(${task.tagIds}::uuid[])
      for key share
    ), checked as (
      -- The join reads every row of tag, so all of them are locked before the task is inserted.
      select ${task.categoryId}::uuid is null or exists (select from category) as category_found,
        (select given.id from unnest(${task.tagIds}::uuid[]) with ordinality as given (id, n)
          left join tag on tag.id = given.id
          where tag.id is null order by given.n limit 1) as missing_tag
    ), task as (
      insert into tasks (id, user_id, title, description, priority, due_at, category_id, recurrence_rule,
        time_zone, series_id, request_id)
      select ${task.id}, ${user.id}, ${task.title}, ${task.description}, ${task.priority}, ${task.dueAt},
        ${task.categoryId}, ${task.rule}, ${task.timeZone}, ${task.rule === null ? null : task.id},
        ${task.requestId}
      from checked where category_found and missing_tag is null
      -- A key used before: nothing is inserted (nor tagged, reminded or announced) and the caller reads
      -- the first call's task. A concurrent first call is waited for.
      on conflict (user_id, request_id) where request_id is not null do nothing
      returning *
    ), tagged as (
      insert into task_tags (task_id, tag_id, user_id)
      select task.id, tag.id, task.user_id from task, tag
    ), reminded as (
      ${newTaskReminders(db, user)}
    ), created as (
      select task.*,
        (select ${labelJson(db, "c")} from category c) as category,
        ${tagsJson(db, db`from tag g`)} as tags
      from task
    ), announced as (
      ${announceCreated(db, randomUUID(), span)}
    )
    select checked.category_found, checked.missing_tag, ${taskRowColumns(db)}, t.category, t.tags
    from checked left join created t on true`;
  if (!row?.category_found) throw notFound("category", task.categoryId ?? "");
  if (row.missing_tag !== null) throw notFound("tag", row.missing_tag);
  if (row.id == null && task.requestId !== null) {
    const [first] = await db<{ id: string }[]>`
      select id from tasks where user_id = ${user.id} and request_id = ${task.requestId}`;
    const [earlier] = await loadTasks(db, user.id, first ? [first.id] : []);
    if (earlier) return { task: earlier, replayed: true };
  }
  return { task: toTask(row), replayed: false };
}
