/**
 * What complete_task can truthfully say about a repeating task's future: the due date of the occurrence
 * the recurring group will create, planned by the same function it uses (planNextOccurrence), or that the
 * series has ended (COUNT or UNTIL reached).
 */
import type { DomainContext } from "../_shared/domain/context.js";
import { zonedIso } from "../_shared/domain/dates.js";
import { planNextOccurrence } from "../_shared/recurring/next-occurrence.js";

/** The next occurrence's due date (ISO with the zone's offset), null when the series ended or none repeats. */
export async function nextDueDate(ctx: DomainContext, taskId: string): Promise<string | null> {
  const [row] = await ctx.sql<
    {
      recurrence_rule: string | null;
      due_at: Date | null;
      completed_at: Date | null;
      time_zone: string;
      series_start_at: Date | null;
    }[]
  >`
    select recurrence_rule, due_at, completed_at, time_zone, series_start_at
    from tasks where id = ${taskId} and user_id = ${ctx.user.id}`;
  if (!row?.recurrence_rule || !row.completed_at) return null;
  const next = planNextOccurrence({
    rule: row.recurrence_rule,
    dueAt: row.due_at,
    completedAt: row.completed_at,
    timeZone: row.time_zone,
    seriesStart: row.series_start_at,
  });
  return next === null ? null : zonedIso(next.dueAt, row.time_zone);
}
