/**
 * Delivers one due reminder by mail, once. Everything happens in one transaction that holds the
 * reminder's row lock (`for update`) from the state check until the state is recorded:
 * - a reminder that is no longer `published` (cancelled, already sent, failed), or whose task is gone,
 *   is skipped; one whose task was completed is cancelled, without mail;
 * - a concurrent duplicate (the same event twice, two replicas) waits for the lock, then finds it
 *   `sent` and skips: the lock, not luck, keeps the mail single;
 * - the mail is sent with the lock held, then `sent` + `sent_at` and the inbox row commit together.
 * At-least-once remains in one window: the process dies after the SMTP server accepted the mail and
 * before the commit. Dapr redelivers, and the reminder is sent again with the same Message-ID
 * (`<reminder-<id>@taskbeat>`), which lets servers and clients downstream recognise the duplicate.
 * Cost of the lock: one pooled connection per send in flight, for at most the SMTP timeouts.
 */
import type { Sql, TransactionSql } from "postgres";
import { composeReminderMail } from "./compose.js";
import { classifyMailError } from "./errors.js";
import type { Mailer } from "./mailer.js";

export const REMINDER_MAIL_CONSUMER = "email.reminder-due";

export type ReminderDelivery =
  | { outcome: "sent"; messageId: string }
  | { outcome: "skipped"; reason: string }
  /** Temporary failure, attempt recorded: Dapr should deliver it again. */
  | { outcome: "retry"; reason: string }
  /** Permanent failure: the reminder is `failed`; the message should be dropped. */
  | { outcome: "failed"; reason: string };

interface Row {
  state: string;
  task_id: string;
  title: string;
  description: string | null;
  priority: string;
  due_at: Date | null;
  completed: boolean;
  email: string;
  display_name: string | null;
  time_zone: string;
}

export async function deliverReminder(
  sql: Sql,
  mailer: Mailer,
  request: { reminderId: string; eventId: string; signal?: AbortSignal },
): Promise<ReminderDelivery> {
  const { reminderId, eventId } = request;
  return sql.begin(async (tx): Promise<ReminderDelivery> => {
    const [seen] = await tx`
      select 1 from processed_events where consumer = ${REMINDER_MAIL_CONSUMER} and event_id = ${eventId}`;
    if (seen) return { outcome: "skipped", reason: "event already processed" };
    const [row] = await tx<Row[]>`
      select r.state, r.task_id, t.title, t.description, t.priority, t.due_at, t.completed,
        u.email, u.display_name, u.time_zone
      from reminders r
      join tasks t on t.id = r.task_id and t.user_id = r.user_id
      join users u on u.id = r.user_id
      where r.id = ${reminderId}
      for update of r`;
    // Deleting a task deletes its reminders (on delete cascade).
    if (!row) return { outcome: "skipped", reason: "reminder or task no longer exists" };
    if (row.state !== "published") return { outcome: "skipped", reason: `reminder is ${row.state}` };
    if (row.completed) {
      await finish(tx, { reminderId, eventId, state: "cancelled" });
      return { outcome: "skipped", reason: "task is completed; reminder cancelled" };
    }
    const message = composeReminderMail({
      reminderId,
      from: mailer.from,
      to: { email: row.email, name: row.display_name, timeZone: row.time_zone },
      task: {
        id: row.task_id,
        title: row.title,
        description: row.description,
        priority: row.priority,
        dueAt: row.due_at,
      },
    });
    let messageId: string;
    try {
      ({ messageId } = await mailer.send(message, request.signal));
    } catch (error) {
      const failure = classifyMailError(error);
      if (failure.kind === "temporary") {
        await tx`
          update reminders set attempts = attempts + 1, last_error = ${failure.reason}, updated_at = now()
          where id = ${reminderId} and state = 'published'`;
        return { outcome: "retry", reason: failure.reason };
      }
      await finish(tx, { reminderId, eventId, state: "failed", error: failure.reason });
      return { outcome: "failed", reason: failure.reason };
    }
    await finish(tx, { reminderId, eventId, state: "sent" });
    return { outcome: "sent", messageId };
  });
}

/**
 * The reminder's final state and the inbox row, in the caller's transaction. Only a `published`
 * reminder changes (the lock already ensures it; the guard keeps it so without the lock).
 */
async function finish(
  tx: TransactionSql,
  to: { reminderId: string; eventId: string; state: "sent" | "failed" | "cancelled"; error?: string },
) {
  const { reminderId, eventId, state } = to;
  const attempted = state === "cancelled" ? 0 : 1;
  await tx`
    update reminders set state = ${state}, updated_at = now(),
      sent_at = case when ${state}::text = 'sent' then now() else sent_at end,
      attempts = attempts + ${attempted}, last_error = ${to.error ?? null}
    where id = ${reminderId} and state = 'published'`;
  await tx`
    insert into processed_events (consumer, event_id) values (${REMINDER_MAIL_CONSUMER}, ${eventId})
    on conflict do nothing`;
}
