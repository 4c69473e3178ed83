/**
 * Reminders a person sets on a task: at a fixed time, or `minutes_before` its due date (such a one
 * follows the due date when it moves, see tasks-reminders.ts). Rows start `pending`; check-due-tasks
 * claims them when due. Asking for a reminder that is already pending returns that one, so a
 * retried call never mails twice.
 */

import type { Sql } from "postgres";
import * as v from "valibot";
import type { CallNotes } from "./call-notes.js";
import { type DomainContext, type Tx, transact } from "./context.js";
import { DomainError, notFound } from "./errors.js";
import { parseId } from "./ids.js";
import { readDateInput } from "./natural-dates.js";
import { checkLimit, decodeCursor, encodeCursor, type Page, TIMESTAMP_FORMAT } from "./pages.js";
import { checkTaskId } from "./tasks-input.js";

export const REMINDER_STATES = ["pending", "published", "sent", "cancelled", "failed"] as const;
export const MAX_MINUTES_BEFORE = 40_320;
export const MAX_PENDING_PER_TASK = 20;

export const ReminderSchema = v.object({
  id: v.string(),
  task_id: v.string(),
  task_title: v.string(),
  time_zone: v.pipe(
    v.string(),
    v.description("The task's IANA zone, the one the summary shows remind_at in."),
  ),
  remind_at: v.pipe(v.string(), v.description("ISO 8601, when the reminder is (or was) sent.")),
  minutes_before: v.pipe(
    v.nullable(v.number()),
    v.description("Minutes before the due date it follows; null for a reminder at a fixed time."),
  ),
  state: v.pipe(
    v.picklist(REMINDER_STATES),
    v.description("pending (waiting), published/sent (on its way or delivered), cancelled or failed."),
  ),
  created_at: v.string(),
});
export type Reminder = v.InferOutput<typeof ReminderSchema>;

interface ReminderRow {
  id: string;
  task_id: string;
  task_title: string;
  time_zone: string;
  remind_at: Date;
  minutes_before: number | null;
  state: Reminder["state"];
  created_at: Date;
}

const toReminder = (row: ReminderRow): Reminder => ({
  ...row,
  remind_at: row.remind_at.toISOString(),
  created_at: row.created_at.toISOString(),
});

export interface ReminderRequest {
  task_id: string;
  remind_at?: string | undefined;
  minutes_before?: number | undefined;
}

export async function setReminder(
  ctx: DomainContext,
  request: ReminderRequest,
  notes?: CallNotes,
): Promise<Reminder> {
  const { remind_at: at, minutes_before: minutes } = request;
  if ((at === undefined) === (minutes === undefined)) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "Give either remind_at or minutes_before (one of them, not both).",
    );
  }
  if (
    minutes !== undefined &&
    !(Number.isInteger(minutes) && minutes >= 0 && minutes <= MAX_MINUTES_BEFORE)
  ) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `minutes_before must be a whole number from 0 to ${MAX_MINUTES_BEFORE}.`,
    );
  }
  const taskId = checkTaskId(request.task_id);
  const userId = ctx.user.id;
  return transact(ctx, async (tx) => {
    // Taken before reading the due date, so an update_task moving it cannot slip in between.
    const [task] = await tx<{ title: string; due_at: Date | null; completed: boolean; time_zone: string }[]>`
      select title, due_at, completed, time_zone from tasks
      where id = ${taskId} and user_id = ${userId} for no key update`;
    if (!task) throw notFound("task", taskId);
    if (task.completed) {
      throw new DomainError(
        "VALIDATION_ERROR",
        `“${task.title}” is completed; reopen it before setting a reminder.`,
      );
    }
    let remindAt: Date;
    if (minutes === undefined) {
      const read = readDateInput(at ?? "", {
        timeZone: task.time_zone,
        field: "remind_at",
        requireTime: true,
      });
      notes?.read("remind_at", at ?? "", task.time_zone, read);
      remindAt = read.at;
    } else if (task.due_at === null) {
      throw new DomainError(
        "INVALID_DUE_DATE",
        `“${task.title}” has no due date to count minutes_before from; set one first, or give remind_at instead.`,
      );
    } else {
      remindAt = new Date(task.due_at.getTime() - minutes * 60_000);
    }
    const [{ now } = { now: new Date() }] = await tx<{ now: Date }[]>`select now()`;
    if (remindAt <= now) {
      throw new DomainError(
        "VALIDATION_ERROR",
        `A reminder at ${remindAt.toISOString()} would be in the past; choose a time after ${now.toISOString()}.`,
      );
    }
    const select = tx`
      select r.id, r.task_id, ${task.title}::text as task_title, ${task.time_zone}::text as time_zone, r.remind_at, r.minutes_before, r.state, r.created_at
      from reminders r`;
    const [existing] = await tx<ReminderRow[]>`${select}
      where r.task_id = ${taskId} and r.state = 'pending' and r.remind_at = ${remindAt}
        and r.minutes_before is not distinct from ${minutes ?? null}::int`;
    if (existing) return toReminder(existing);
    const [{ count } = { count: 0 }] = await tx<{ count: number }[]>`
      select count(*)::int as count from reminders where task_id = ${taskId} and state = 'pending'`;
    if (count >= MAX_PENDING_PER_TASK) {
      throw new DomainError(
        "LIMIT_REACHED",
        `“${task.title}” already has ${count} pending reminders, the most allowed; cancel one first.`,
      );
    }
    const [created] = await tx<{ id: string }[]>`
      insert into reminders (task_id, user_id, remind_at, minutes_before)
      values (${taskId}, ${userId}, ${remindAt}, ${minutes ?? null}) returning id`;
    const [row] = await tx<ReminderRow[]>`${select} where r.id = ${created?.id ?? null}`;
    return toReminder(row as ReminderRow);
  });
}

const columns = (sql: Sql | Tx) => sql`
  select r.id, r.task_id, t.title as task_title, t.time_zone, r.remind_at, r.minutes_before, r.state, r.created_at,
    to_char(r.remind_at at time zone 'UTC', ${TIMESTAMP_FORMAT}) as key
  from reminders r join tasks t on t.id = r.task_id`;

/** One task's reminders in any state, or (no task) all pending ones; soonest first. */
export async function listReminders(
  ctx: DomainContext,
  query: { task_id?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<Reminder>> {
  const { sql, user } = ctx;
  const limit = checkLimit(query.limit);
  const taskId = query.task_id === undefined ? undefined : checkTaskId(query.task_id);
  const listing = { name: "reminders", query: taskId ?? null };
  const after = query.cursor && decodeCursor(query.cursor, listing, ["timestamp"]);
  if (taskId !== undefined) {
    const [task] = await sql`select 1 from tasks where id = ${taskId} and user_id = ${user.id}`;
    if (!task) throw notFound("task", taskId);
  }
  const rows = await sql<(ReminderRow & { key: string })[]>`${columns(sql)}
    where r.user_id = ${user.id}
      ${taskId === undefined ? sql`and r.state = 'pending'` : sql`and r.task_id = ${taskId}`}
      ${after ? sql`and (r.remind_at, r.id) > (${after.keys[0] ?? ""}::text::timestamptz, ${after.id}::uuid)` : sql``}
    order by r.remind_at, r.id
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ key: _key, ...row }) => toReminder(row)),
    nextCursor: rows.length > limit && last ? encodeCursor(listing, [last.key], last.id) : null,
  };
}

/**
 * Cancels a pending reminder; cancelling a cancelled one changes nothing, a sent one cannot be. It is
 * recorded as the person's choice, so a new due date or reopening the task does not bring it back.
 */
export async function cancelReminder(ctx: DomainContext, rawId: string): Promise<Reminder> {
  const id = parseId(rawId);
  if (id === undefined) throw notFound("reminder", rawId);
  return transact(ctx, async (tx) => {
    const [row] = await tx<(ReminderRow & { key: string })[]>`${columns(tx)}
      where r.id = ${id} and r.user_id = ${ctx.user.id} for update of r`;
    if (!row) throw notFound("reminder", id);
    const { key: _key, ...reminder } = row;
    if (row.state === "cancelled") return toReminder(reminder);
    if (row.state !== "pending") {
      throw new DomainError(
        "VALIDATION_ERROR",
        `That reminder is already ${row.state}, so it cannot be cancelled.`,
      );
    }
    await tx`
      update reminders set state = 'cancelled', cancel_reason = 'user', updated_at = now() where id = ${id}`;
    return toReminder({ ...reminder, state: "cancelled" });
  });
}
