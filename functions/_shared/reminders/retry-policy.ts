/**
 * How long a reminder whose mail keeps failing temporarily (an SMTP outage) is retried, set once per
 * process from REMINDER_RETRY_HORIZON_MS by the notification group's setup, whose check-due-tasks sweep
 * re-announces stuck reminders and gives them up. Module state, like the mailer's: the sweep runs in the
 * job's context, which carries no configuration.
 */

/** At least a day after `remind_at`: a weekend-long mail outage still ends in late mail, not none. */
export const DEFAULT_RETRY_HORIZON_MS = 24 * 3_600_000;

let horizonMs = DEFAULT_RETRY_HORIZON_MS;

export function configureReminderRetry(options: { horizonMs: number }): void {
  horizonMs = options.horizonMs;
}

export function reminderRetryHorizonMs(): number {
  return horizonMs;
}
