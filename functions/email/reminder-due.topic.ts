/**
 * Trigger: `taskbeat.reminder.due.v1` on `task-reminders` (bulk: ≤ 10 messages or 250 ms), from check-due-tasks.
 * Effect: one reminder mail (SMTP_URL, else an .eml file in TASKBEAT_HOME/mail), then the reminder is `sent`.
 * Idempotency: the reminder's state, checked and changed under its row lock, and the inbox row
 * (consumer "email.reminder-due", event id). Temporary SMTP failure: RETRY; permanent (5xx): `failed`, DROP.
 * Deliveries in flight together share a transaction (functions/_shared/mail/reminder-batcher.ts).
 */
import { defineSubscription } from "../../runtime/define.js";
import { PUBSUB, TOPICS } from "../../runtime/outbox/enqueue.js";
import { DropMessage, RetryLater } from "../../runtime/outcomes.js";
import { getMailer } from "../_shared/mail/mailer.js";
import { ReminderBatcher } from "../_shared/mail/reminder-batcher.js";
import { REMINDER_DUE_TYPE, ReminderDueSchema } from "../_shared/reminders/claim-event.js";

const batcher = new ReminderBatcher();

export default defineSubscription({
  pubsub: PUBSUB,
  topic: TOPICS.taskReminders,
  schema: ReminderDueSchema,
  types: [REMINDER_DUE_TYPE],
  // How long a partition's partial batch may wait to fill: short, since a reminder is due when it arrives.
  bulk: { maxMessages: 10, maxAwaitMs: 250 },
  async handle(data, ctx) {
    const reminderId = data.reminder_id;
    const result = await batcher.deliver(ctx.sql, getMailer(), {
      reminderId,
      eventId: ctx.event.id,
      signal: ctx.signal,
    });
    switch (result.outcome) {
      case "sent":
        ctx.log.info("reminder mailed", { reminderId, messageId: result.messageId });
        return;
      case "skipped":
        ctx.log.info("reminder not mailed", { reminderId, reason: result.reason });
        return;
      case "retry":
        throw new RetryLater(`reminder ${reminderId}: temporary mail failure (${result.reason})`);
      case "failed":
        throw new DropMessage(`reminder ${reminderId}: mail refused permanently; marked failed`, {
          reminderId,
          reason: result.reason,
        });
    }
  },
});
