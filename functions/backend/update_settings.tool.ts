import * as v from "valibot";
import { MAX_MINUTES_BEFORE } from "../_shared/domain/reminders.js";
import {
  describeDefaultReminder,
  MAX_DISPLAY_NAME,
  SettingsSchema,
  updateSettings,
} from "../_shared/domain/settings.js";
import { defineTool } from "../_shared/tool.js";
import { clearField, withCleared } from "./_clear-field.js";

export default defineTool({
  name: "update_settings",
  description:
    "Change your display name, your time zone or your default reminder; give at least one. The change " +
    "applies to tasks created from now on: existing tasks keep their time zone and reminders (use " +
    "update_task or set_reminder for those). Returns the settings. Fails with INVALID_TIME_ZONE for a zone " +
    "that is not an IANA name, VALIDATION_ERROR otherwise.",
  // Strict: a misspelled field ("timezone") must fail, not be dropped while the call reports success.
  input: v.strictObject({
    display_name: v.pipe(
      v.optional(v.string()),
      v.description(
        `The name reminder mail is addressed to, up to ${MAX_DISPLAY_NAME} characters; clear removes it.`,
      ),
    ),
    time_zone: v.pipe(
      v.optional(v.string()),
      v.description("An IANA time zone such as Europe/Berlin or America/New_York."),
    ),
    default_reminder_minutes: v.pipe(
      v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_MINUTES_BEFORE))),
      v.description(
        `Minutes before the due date that new tasks are reminded (0–${MAX_MINUTES_BEFORE}); ` +
          'clear: ["default_reminder_minutes"] for no reminder.',
      ),
    ),
    clear: clearField(["display_name", "default_reminder_minutes"]),
  }),
  output: SettingsSchema,
  annotations: {
    title: "Update settings",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ clear, ...changes }, ctx) => updateSettings(ctx, withCleared(changes, clear)),
  summarize: (s) =>
    `Settings saved: time zone ${s.time_zone}; ${describeDefaultReminder(s.default_reminder_minutes)}.`,
});
