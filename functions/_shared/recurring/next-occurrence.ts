/**
 * When a completed repeating task comes back. The rule is evaluated in the task's zone from the
 * series' start (its first task's due date): INTERVAL, COUNT and the time of day count from there, so
 * 09:00 stays 09:00 across DST changes, a time a DST gap moved forward once comes back the next day,
 * and COUNT=3 means three tasks in the whole series, however many of them have been deleted.
 */
import { nextOccurrence, normalizeRule } from "../domain/recurrence.js";

export interface CompletedOccurrence {
  /** The stored rule; read again, so one that no longer parses throws INVALID_RECURRENCE_RULE. */
  rule: string;
  /** The completed task's due date; null only for rows written before due dates were required. */
  dueAt: Date | null;
  completedAt: Date;
  timeZone: string;
  /** `tasks.series_start_at`: null when the completed task is the first of its series. */
  seriesStart: Date | null;
}

export interface NextOccurrence {
  dueAt: Date;
  /** The normalised rule the next task stores. */
  rule: string;
  /** What the next task stores as `series_start_at`. */
  seriesStart: Date;
}

/**
 * The first occurrence after the completed one's due date or, when that had already passed at
 * completion, the first after the completion time: a late completion skips the missed dates instead
 * of creating a backlog of overdue tasks, and the answer does not depend on when the event is handled.
 * Null when COUNT or UNTIL has ended the series.
 */
export function planNextOccurrence(done: CompletedOccurrence): NextOccurrence | null {
  const rule = normalizeRule(done.rule);
  const due = done.dueAt ?? done.completedAt;
  const seriesStart = done.seriesStart ?? due;
  // "After the due date, or after the completion when that is already past" is simply after the later one.
  const after = new Date(Math.max(due.getTime(), done.completedAt.getTime()));
  const dueAt = nextOccurrence(rule, { dtstart: seriesStart, after, timeZone: done.timeZone });
  return dueAt === null ? null : { dueAt, rule, seriesStart };
}
