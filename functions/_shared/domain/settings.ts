/**
 * A user's settings, as their assistant reads and changes them: the display name used in reminder
 * mail, the time zone that new tasks take (and that dates without an offset are read in), and the
 * reminder that new tasks with a due date get by default. A change applies to what is created from then
 * on: existing tasks keep their zone, because a task's zone is part of its schedule (a repeating 09:00
 * task keeps meaning 09:00 where it was set), and existing reminders keep their times.
 */
import * as v from "valibot";
import type { DomainContext } from "./context.js";
import { checkTimeZone, zonedIso } from "./dates.js";
import { DomainError } from "./errors.js";
import { MAX_MINUTES_BEFORE } from "./reminders.js";

export const MAX_DISPLAY_NAME = 100;

export const SettingsSchema = v.object({
  email: v.pipe(v.string(), v.description("The address reminders are mailed to (not changeable here).")),
  display_name: v.pipe(v.nullable(v.string()), v.description("The name reminder mail is addressed to.")),
  time_zone: v.pipe(v.string(), v.description("IANA time zone new tasks take, e.g. Europe/Berlin.")),
  default_reminder_minutes: v.pipe(
    v.nullable(v.number()),
    v.description("Minutes before its due date a new task's reminder comes; null: no default reminder."),
  ),
  // A model has no clock: "tomorrow" or "next friday" needs today's date where the person is.
  local_time: v.pipe(
    v.string(),
    v.description("The current date-time in time_zone, ISO 8601 with its offset: what now means for you."),
  ),
  weekday: v.pipe(v.string(), v.description("Today's weekday in time_zone, e.g. Friday.")),
});
export type Settings = v.InferOutput<typeof SettingsSchema>;

export interface SettingsChanges {
  display_name?: string | null | undefined;
  time_zone?: string | undefined;
  default_reminder_minutes?: number | null | undefined;
}

interface UserRow {
  email: string;
  display_name: string | null;
  time_zone: string;
  default_reminder_minutes: number | null;
}

const toSettings = (row: UserRow, now = new Date()): Settings => ({
  email: row.email,
  display_name: row.display_name,
  time_zone: row.time_zone,
  default_reminder_minutes: row.default_reminder_minutes,
  local_time: zonedIso(now, row.time_zone),
  weekday: new Intl.DateTimeFormat("en-US", { weekday: "long", timeZone: row.time_zone }).format(now),
});

/** Read from the row, not from the authenticated user, so a change made a moment ago shows. */
export async function getSettings(ctx: Pick<DomainContext, "sql" | "user">): Promise<Settings> {
  const [row] = await ctx.sql<UserRow[]>`
    select email, display_name, time_zone, default_reminder_minutes from users where id = ${ctx.user.id}`;
  if (!row) throw new DomainError("VALIDATION_ERROR", "Your account no longer exists.");
  return toSettings(row);
}

export async function updateSettings(
  ctx: Pick<DomainContext, "sql" | "user">,
  changes: SettingsChanges,
): Promise<Settings> {
  const { display_name: name, time_zone: zone, default_reminder_minutes: minutes } = changes;
  if (name === undefined && zone === undefined && minutes === undefined) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "Nothing to change: give display_name, time_zone or default_reminder_minutes.",
    );
  }
  const displayName = name === undefined ? undefined : checkDisplayName(name);
  const timeZone = zone === undefined ? undefined : checkTimeZone(zone);
  if (minutes !== undefined && minutes !== null && !isReminderOffset(minutes)) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `default_reminder_minutes must be a whole number from 0 to ${MAX_MINUTES_BEFORE}, or null for none.`,
    );
  }
  const [row] = await ctx.sql<UserRow[]>`
    update users set
      display_name = ${displayName === undefined ? ctx.sql`display_name` : displayName},
      time_zone = ${timeZone === undefined ? ctx.sql`time_zone` : timeZone},
      default_reminder_minutes = ${minutes === undefined ? ctx.sql`default_reminder_minutes` : minutes},
      updated_at = now()
    where id = ${ctx.user.id}
    returning email, display_name, time_zone, default_reminder_minutes`;
  if (!row) throw new DomainError("VALIDATION_ERROR", "Your account no longer exists.");
  // Over HTTP every call authenticates again and reads the user afresh; a stdio session keeps one
  // context, so the next calls of this session must see the change through it.
  Object.assign(ctx.user, {
    displayName: row.display_name,
    timeZone: row.time_zone,
    defaultReminderMinutes: row.default_reminder_minutes,
  });
  return toSettings(row);
}

/** Trimmed; empty means none. */
function checkDisplayName(name: string | null): string | null {
  const trimmed = name?.trim() || null;
  if (trimmed !== null && trimmed.length > MAX_DISPLAY_NAME) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `A display name can be at most ${MAX_DISPLAY_NAME} characters long.`,
    );
  }
  return trimmed;
}

const isReminderOffset = (minutes: number) =>
  Number.isInteger(minutes) && minutes >= 0 && minutes <= MAX_MINUTES_BEFORE;

/** "default reminder 30 minutes before the due date", for tool summaries. */
export const describeDefaultReminder = (minutes: number | null) =>
  minutes === null ? "no default reminder" : `default reminder ${minutes} minutes before the due date`;
