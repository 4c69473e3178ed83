/** `/readyz` of the notification group also asks whether check-due-tasks is running (see _readiness.ts). */
import { defineSetup } from "../../runtime/define.js";
import { configureReminderRetry } from "../_shared/reminders/retry-policy.js";
import { notificationReadiness } from "./_readiness.js";

export default defineSetup({
  readiness: ({ dapr }) => [notificationReadiness(dapr)],
  // How long the sweep of stuck reminders retries a mail that keeps failing (REMINDER_RETRY_HORIZON_MS).
  start({ config }) {
    configureReminderRetry({ horizonMs: config.REMINDER_RETRY_HORIZON_MS });
    return undefined;
  },
});
