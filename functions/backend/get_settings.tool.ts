import * as v from "valibot";
import { describeDefaultReminder, getSettings, SettingsSchema } from "../_shared/domain/settings.js";
import { defineTool } from "../_shared/tool.js";

export default defineTool({
  name: "get_settings",
  description:
    "Show your settings: the email reminders go to, your display name, the time zone new tasks take " +
    "(dates without an offset are read in it), the reminder new tasks with a due date get by default, and " +
    'the current local date-time and weekday there (local_time, weekday): what "today" or "next friday" count from.',
  input: v.object({}),
  output: SettingsSchema,
  annotations: { title: "Get settings", readOnlyHint: true, openWorldHint: false },
  handle: (_input, ctx) => getSettings(ctx),
  summarize: (s) =>
    `Now ${s.weekday} ${s.local_time} in ${s.time_zone}; ${describeDefaultReminder(s.default_reminder_minutes)}; reminders go to ${s.email}.`,
});
