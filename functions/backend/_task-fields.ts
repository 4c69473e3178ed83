/**
 * Input fields and wording the task and reminder tools share, so a limit or a date rule reads the same
 * in every tool. The domain checks each value again and answers with a stable code (INVALID_PRIORITY,
 * INVALID_DUE_DATE…), which is why priorities and dates are plain strings here, not enums or formats.
 */
import * as v from "valibot";
import { NATURAL_DATE_EXAMPLES } from "../_shared/domain/natural-dates.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { MAX_DESCRIPTION, MAX_TITLE } from "../_shared/domain/tasks-input.js";

export const DATE_RULE =
  "ISO 8601: a date alone (2025-01-15) means the end of that day, a time without an offset " +
  "(2025-01-15T09:00) is read in the task's time zone, or give an offset (2025-01-15T09:00:00-05:00); " +
  `or English words read in that zone, like ${NATURAL_DATE_EXAMPLES} (the answer's "understood" shows how)`;

const text = (description: string) => v.pipe(v.string(), v.description(description));

export const taskIdField = () => text("The task's id, as returned by add_task, list_tasks or search_tasks.");

export const titleField = () => text(`What to do, 1–${MAX_TITLE} characters (trimmed).`);

/** The fields a task is made of; with `clears` (update_task) the descriptions point at `clear`. */
export const taskFields = (clears: boolean) => {
  const field = <T extends v.GenericSchema>(schema: T, description: string) =>
    v.pipe(
      v.optional(schema),
      v.description(clears ? `${description} Omit to keep it; clear empties it.` : description),
    );
  return {
    description: field(v.string(), `Longer notes, up to ${MAX_DESCRIPTION} characters.`),
    priority: v.pipe(
      v.optional(v.string()),
      v.description(`low, medium, high or urgent${clears ? "" : " (default medium)"}.`),
    ),
    due_date: field(v.string(), `When it is due; ${DATE_RULE}.`),
    category_id: field(v.string(), "The id of one of your categories (see list_categories)."),
    tag_ids: v.pipe(
      v.optional(v.array(v.string())),
      v.description(
        `Ids of your tags (see list_tags), at most 10${clears ? "; replaces the task's tags, [] removes all" : ""}.`,
      ),
    ),
    recurrence_rule: field(
      v.string(),
      'Makes it repeat: an RRULE (FREQ=WEEKLY;BYDAY=MO,WE) or English ("every weekday", "every 2 weeks ' +
        'on monday"). Check one with preview_recurrence first. A repeating task always has a due date: ' +
        "without one it becomes due at the end of the rule's first day from today.",
    ),
    time_zone: v.pipe(
      v.optional(v.string()),
      v.description("IANA zone (Europe/Berlin) its dates and recurrence are read in; default yours."),
    ),
  };
};

/** add_task's and each add_tasks item's idempotency key. */
export const requestIdField = () =>
  v.pipe(
    v.optional(v.nullable(v.string())),
    v.description(
      "Optional idempotency key, up to 200 characters (e.g. a UUID you make up): retrying a call with the " +
        "same request_id returns the task the first call created instead of creating another.",
    ),
  );

export const TaskOutput = v.object({ task: TaskSchema });

export const TaskPageOutput = v.object({
  tasks: v.array(TaskSchema),
  nextCursor: v.pipe(
    v.nullable(v.string()),
    v.description("Pass as cursor for the next page; null at the end."),
  ),
});

/** "Jan 15, 2025, 17:00 (America/New_York)": how a summary line names a due date. */
export function formatDue(iso: string | null, timeZone: string): string | null {
  if (iso === null) return null;
  return `${dueFormatter(timeZone).format(new Date(iso))} (${timeZone})`;
}

// Building an Intl.DateTimeFormat costs far more than formatting with one (~0.3 ms, on every add_task or
// update_task with a due date), so one is kept per zone; a task's zone has been checked by then.
const dueFormatters = new Map<string, Intl.DateTimeFormat>();

function dueFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = dueFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      dateStyle: "medium",
      timeStyle: "short",
      hourCycle: "h23",
      timeZone,
    });
    dueFormatters.set(timeZone, formatter);
  }
  return formatter;
}

export const dueSuffix = (task: { due_date: string | null; time_zone: string }) => {
  const due = formatDue(task.due_date, task.time_zone);
  return due === null ? "" : `, due ${due}`;
};
