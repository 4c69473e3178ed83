import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  call,
  contextFor,
  expectCode,
  hoursFromNow,
  insertUser,
  remindersOf,
} from "../../test/support/task-fixtures.js";
import { authenticate, issueToken } from "../_shared/auth/tokens.js";
import type { User } from "../_shared/domain/context.js";
import addTask from "./add_task.tool.js";
import getSettings from "./get_settings.tool.js";
import tool from "./update_settings.tool.js";

const db = useTestDb("tool-update_settings");

/** The user as the next MCP call sees it: authenticated from a token, read from the row. */
async function asNextCall(user: User) {
  const fresh = await authenticate(db.sql, await issueToken(db.sql, user.id));
  if (!fresh) throw new Error("token did not authenticate");
  return contextFor(db.sql, fresh);
}

describe("update_settings", () => {
  it("changes what is given, keeps the rest, and get_settings shows it", async () => {
    const user = await insertUser(db.sql, { timeZone: "UTC", defaultReminderMinutes: 60 });
    const ctx = contextFor(db.sql, user);

    const saved = await call(tool, ctx, { time_zone: "europe/berlin", default_reminder_minutes: 30 });
    expect(saved).toEqual({
      email: user.email,
      display_name: null,
      time_zone: "Europe/Berlin",
      default_reminder_minutes: 30,
      local_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/),
      weekday: expect.stringMatching(/^(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day$/),
    });
    expect(tool.summarize(saved)).toBe(
      "Settings saved: time zone Europe/Berlin; default reminder 30 minutes before the due date.",
    );

    await call(tool, ctx, { display_name: "  Ada Lovelace " });
    const shown = await call(getSettings, ctx, {});
    expect(shown).toEqual({ ...saved, display_name: "Ada Lovelace", local_time: shown.local_time });
    expect(getSettings.summarize(shown)).toBe(
      `Now ${shown.weekday} ${shown.local_time} in Europe/Berlin; default reminder 30 minutes before the due ` +
        `date; reminders go to ${user.email}.`,
    );
    // The local clock is now in the user's zone, to the second.
    expect(Math.abs(new Date(shown.local_time).getTime() - Date.now())).toBeLessThan(5_000);
    const weekday = new Intl.DateTimeFormat("en-US", { weekday: "long", timeZone: "Europe/Berlin" });
    expect(shown.weekday).toBe(weekday.format(new Date(shown.local_time)));

    // clear removes; a blank name is no name.
    expect(await call(tool, ctx, { clear: ["default_reminder_minutes"], display_name: "   " })).toMatchObject(
      {
        display_name: null,
        default_reminder_minutes: null,
        time_zone: "Europe/Berlin",
      },
    );
    expect(tool.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
  });

  it("applies at once to later calls with the same context (a stdio session keeps one)", async () => {
    const user = await insertUser(db.sql, { timeZone: "UTC", defaultReminderMinutes: 60 });
    const ctx = contextFor(db.sql, user);
    await call(tool, ctx, { time_zone: "Asia/Kolkata", clear: ["default_reminder_minutes"] });
    const { task } = await call(addTask, ctx, { title: "Same session", due_date: hoursFromNow(24) });
    expect(task.time_zone).toBe("Asia/Kolkata");
    expect(await remindersOf(db.sql, task.id)).toEqual([]);
  });

  it("applies to tasks created afterwards: their zone and default reminder", async () => {
    const user = await insertUser(db.sql, { timeZone: "UTC", defaultReminderMinutes: 60 });
    await call(tool, contextFor(db.sql, user), {
      time_zone: "America/New_York",
      default_reminder_minutes: 15,
    });
    const ctx = await asNextCall(user);

    const due = hoursFromNow(48);
    const { task } = await call(addTask, ctx, { title: "Dentist", due_date: due });
    expect(task.time_zone).toBe("America/New_York");
    const [reminder] = await remindersOf(db.sql, task.id);
    expect(reminder).toMatchObject({ minutes_before: 15 });
    expect(reminder?.remind_at.getTime()).toBe(Date.parse(task.due_date as string) - 15 * 60_000);

    await call(tool, ctx, { clear: ["default_reminder_minutes"] });
    const { task: plain } = await call(addTask, await asNextCall(user), {
      title: "No reminder",
      due_date: due,
    });
    expect(await remindersOf(db.sql, plain.id)).toEqual([]);
  });

  it("rejects bad values with a clear error and changes nothing", async () => {
    const user = await insertUser(db.sql, { timeZone: "Asia/Tokyo", defaultReminderMinutes: 60 });
    const ctx = contextFor(db.sql, user);
    const before = await call(getSettings, ctx, {});
    // Past the input schema, as a client that skips it would: the handler must refuse on its own.
    const handle = async (input: Parameters<typeof tool.handle>[0]) => tool.handle(input, ctx);

    const nothing = await expectCode(handle({}), "VALIDATION_ERROR");
    expect(nothing.message).toBe(
      "Nothing to change: give display_name, time_zone or default_reminder_minutes.",
    );
    // A valid change next to an invalid one is not saved either.
    await expectCode(handle({ default_reminder_minutes: 5, time_zone: "+02:00" }), "INVALID_TIME_ZONE");
    await expectCode(handle({ time_zone: "Mars/Olympus_Mons" }), "INVALID_TIME_ZONE");
    for (const minutes of [-1, 1.5, 40_321]) {
      await expectCode(handle({ default_reminder_minutes: minutes, time_zone: "UTC" }), "VALIDATION_ERROR");
    }
    const long = await expectCode(handle({ display_name: "x".repeat(101) }), "VALIDATION_ERROR");
    expect(long.message).toBe("A display name can be at most 100 characters long.");
    // The schema the assistant sees refuses the same numbers, and unknown (misspelled) fields.
    for (const input of [{ default_reminder_minutes: 40_321 }, { timezone: "Europe/Berlin" }]) {
      expect((await tool.input["~standard"].validate(input)).issues, JSON.stringify(input)).toBeDefined();
    }

    expect(await call(getSettings, ctx, {})).toEqual({ ...before, local_time: expect.any(String) });
  });
});
