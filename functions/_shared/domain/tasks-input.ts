/**
 * Checks on what a person asks a task to be, shared by add_task, add_tasks and update_task. Each
 * failure is a DomainError whose sentence names the field, so the assistant can fix the call itself.
 */

import type { CallNotes } from "./call-notes.js";
import type { Tx, User } from "./context.js";
import { checkTimeZone, endOfDay, zonedIso } from "./dates.js";
import { DomainError, notFound } from "./errors.js";
import { isUuid, parseId } from "./ids.js";
import { readDateInput } from "./natural-dates.js";
import { normalizeRule, previewOccurrences } from "./recurrence.js";
import { MAX_TAGS_PER_TASK } from "./task-tags.js";
import { PRIORITIES, type Priority } from "./task-view.js";

export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 5000;

/** A task's fields as a tool receives them: strings to be read, `null` = none. */
export interface TaskFields {
  title?: string | undefined;
  description?: string | null | undefined;
  priority?: string | undefined;
  due_date?: string | null | undefined;
  category_id?: string | null | undefined;
  tag_ids?: readonly string[] | undefined;
  recurrence_rule?: string | null | undefined;
  time_zone?: string | undefined;
}

// Code points, as the table's char_length checks count, not UTF-16 units.
const length = (text: string) => [...text].length;

export function checkTitle(raw: string): string {
  const title = raw.trim();
  if (title === "") throw new DomainError("VALIDATION_ERROR", "A task needs a title; this one is empty.");
  if (length(title) > MAX_TITLE) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `A title can be at most ${MAX_TITLE} characters; this one has ${length(title)}. Put the rest in the description.`,
    );
  }
  return title;
}

/** Trimmed; an empty description is none. */
export function checkDescription(raw: string | null): string | null {
  const description = raw?.trim() ?? "";
  if (length(description) > MAX_DESCRIPTION) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `A description can be at most ${MAX_DESCRIPTION} characters; this one has ${length(description)}.`,
    );
  }
  return description === "" ? null : description;
}

export function checkPriority(raw: string): Priority {
  const priority = raw.trim().toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(priority)) return priority as Priority;
  throw new DomainError(
    "INVALID_PRIORITY",
    `"${raw.slice(0, 40)}" is not a priority; use one of ${PRIORITIES.join(", ")}.`,
  );
}

/** The task id as the database spells it; use the result, not the argument. */
export function checkTaskId(raw: string): string {
  const id = parseId(raw);
  if (id === undefined) throw notFound("task", raw);
  return id;
}

/*
 * Lock order, in every transaction that locks both: label rows (categories, tags) first, then task rows.
 * delete_category and delete_tag lock the label FOR UPDATE and then write its tasks or their tag links
 * (the foreign keys' set null and cascade); a writer that held a task while waiting for one of its labels
 * would deadlock with them. So the checks below run before a task row is locked.
 */

/** The category id as the database spells it; one that cannot be an id names no category of the user's. */
export function parseCategoryId(raw: string): string {
  const id = parseId(raw);
  if (id === undefined) throw notFound("category", raw);
  return id;
}

/** The category, if it is the user's; KEY SHARE keeps delete_category from removing it under us. */
export async function checkCategory(tx: Tx, userId: string, raw: string): Promise<string> {
  const id = parseCategoryId(raw);
  const [row] = await tx`select 1 from categories where id = ${id} and user_id = ${userId} for key share`;
  if (!row) throw notFound("category", id);
  return id;
}

/** Distinct tag ids, at most 10, each one that could be a tag's: what can be checked without the database. */
export function parseTagIds(ids: readonly string[]): string[] {
  // Lower-cased first, so one tag named in two cases is one tag; a malformed id stays as given.
  const unique = [...new Set(ids.map((id) => parseId(id) ?? id))];
  if (unique.length > MAX_TAGS_PER_TASK) {
    throw new DomainError(
      "TOO_MANY_TAGS",
      `A task can have at most ${MAX_TAGS_PER_TASK} tags; ${unique.length} were given.`,
    );
  }
  const malformed = unique.find((id) => !isUuid(id));
  if (malformed !== undefined) throw notFound("tag", malformed);
  return unique;
}

/** Distinct tag ids, at most 10, all the user's (KEY SHARE, as for categories). */
export async function checkTags(tx: Tx, userId: string, ids: readonly string[]): Promise<string[]> {
  const unique = parseTagIds(ids);
  if (unique.length === 0) return unique;
  const rows = await tx<{ id: string }[]>`
    select id from tags where user_id = ${userId} and id = any(${unique}::uuid[]) for key share`;
  const found = new Set(rows.map((row) => row.id));
  const missing = unique.find((id) => !found.has(id));
  if (missing !== undefined) throw notFound("tag", missing);
  return unique;
}

/** Reads a due date in the task's zone (ISO 8601 or words); a date alone is the end of that day there. */
export function readDueDate(text: string, timeZone: string, notes?: CallNotes): Date {
  const read = readDateInput(text, { timeZone, field: "due_date" });
  notes?.read("due_date", text, timeZone, read);
  return read.at;
}

/**
 * Warns about a due date that was accepted but looks like a mistake: one in the past ("2020-01-01" for
 * "Jan 1"), and, for a new task, one too soon for the user's default reminder, which was then not set.
 */
export function warnAboutDueDate(
  notes: CallNotes | undefined,
  dueAt: Date,
  timeZone: string,
  defaultReminderMinutes: number | null,
  now = new Date(),
): void {
  if (notes === undefined) return;
  if (dueAt.getTime() <= now.getTime()) {
    notes.warn(
      `The due date ${zonedIso(dueAt, timeZone)} is in the past (it is now ${zonedIso(now, timeZone)}); ` +
        "the task was saved with it, so no reminder will come. If a date ahead was meant, correct it with update_task.",
    );
    return;
  }
  if (defaultReminderMinutes !== null && dueAt.getTime() - defaultReminderMinutes * 60_000 <= now.getTime()) {
    notes.warn(
      `No default reminder was set: the task is due sooner than ${defaultReminderMinutes} minutes from now, ` +
        "when the default reminder would come. Use set_reminder with remind_at for one before it is due.",
    );
  }
}

/** The zone a task's dates are read in: the one given, else the user's. */
export const taskZone = (user: User, given: string | undefined) =>
  given === undefined ? user.timeZone : checkTimeZone(given);

/**
 * A repeating task needs a due date: it anchors the series (where INTERVAL and COUNT count from) and
 * gives the next occurrence its time of day. Without one, the task is due at the end of the rule's
 * first day from today on, as a date alone would be.
 */
export function firstDueDate(rule: string, timeZone: string, now = new Date()): Date {
  const [first] = previewOccurrences(rule, { start: endOfDay(now, timeZone), timeZone, count: 1 });
  if (!first) {
    throw new DomainError(
      "INVALID_RECURRENCE_RULE",
      `The rule ${rule} has no occurrence from today on, so the task would never be due.`,
    );
  }
  return first;
}

export const checkRule = (raw: string | null) => (raw === null ? null : normalizeRule(raw));

/** A rule and a due date it can never follow (UNTIL before it, a 53rd Monday of January) are refused. */
export function checkReachable(rule: string, dueAt: Date, timeZone: string): void {
  if (previewOccurrences(rule, { start: dueAt, timeZone, count: 1 }).length > 0) return;
  throw new DomainError(
    "INVALID_RECURRENCE_RULE",
    `The rule ${rule} has no occurrence after the due date ${zonedIso(dueAt, timeZone)}, so the task would ` +
      "never repeat; change the rule or the due date.",
  );
}
