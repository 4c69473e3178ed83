/**
 * Delivers due reminders by mail, once each. A call handles a batch in one transaction that holds the
 * reminders' row locks (`for update`, taken in id order so two batches never deadlock) from the state
 * check until the states are recorded:
 * - a reminder that is no longer `published` (cancelled, already sent, failed), or whose task is gone,
 *   is skipped; one whose task was completed is cancelled, without mail;
 * - a concurrent duplicate (the same event twice, two replicas) in another batch waits for the lock,
 *   then finds it `sent` and skips; a duplicate within the batch is skipped at once: the lock, not
 *   luck, keeps the mail single;
 * - the batch's mails are sent together (the mailer's pool decides how many at once), with the locks
 *   held, then every `sent` + `sent_at` and the inbox rows commit together;
 * - two reminders of one task at the same instant (a fixed 09:00 and "an hour before" a 10:00 due date)
 *   are one mail: the batch also locks the requested reminders' twins (same task, same `remind_at`), so
 *   a twin mailed already, in this batch or before, makes this one `sent` with no mail of its own. The
 *   claim announces each reminder as before; the lock, again, keeps it to one mail.
 * When the transaction fails after the SMTP server accepted mail (the connection was cut, the commit
 * failed), the outcomes are recorded again on a fresh connection, retried for a few seconds: a failed
 * record would make Dapr redeliver, and mail the reminder twice. At-least-once remains in a narrower
 * window: the process dies, or the database stays away for those seconds, after the server accepted a
 * mail. Then the reminder is sent again with the same Message-ID (`<reminder-<id>@taskbeat>`), which
 * lets servers and clients downstream recognise the duplicate.
 * Cost of the lock: one pooled connection per batch in flight, for at most the SMTP timeouts.
 */
import type { Sql, TransactionSql } from "postgres";
import { recordEvents, seenEvents } from "../../../runtime/inbox.js";
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

export interface ReminderRequest {
  reminderId: string;
  /** The CloudEvent id: recorded in the inbox once the reminder reaches a final state. */
  eventId: string;
  signal?: AbortSignal;
}

interface Row {
  id: string;
  state: string;
  task_id: string;
  remind_at: Date;
  title: string;
  description: string | null;
  priority: string;
  due_at: Date | null;
  completed: boolean;
  email: string;
  display_name: string | null;
  time_zone: string;
}

/** What the transaction writes for one request: a new state (or `published` kept, for a retry). */
interface Change {
  reminderId: string;
  eventId: string;
  state: "sent" | "failed" | "cancelled" | "published";
  error: string | null;
}

export async function deliverReminder(
  sql: Sql,
  mailer: Mailer,
  request: ReminderRequest,
): Promise<ReminderDelivery> {
  const [result] = await deliverReminders(sql, mailer, [request]);
  return result as ReminderDelivery;
}

/**
 * One outcome per request, in order. Rejects when the transaction fails before any mail was accepted
 * (nothing recorded), or when recording what was mailed still fails after the retries.
 */
export async function deliverReminders(
  sql: Sql,
  mailer: Mailer,
  requests: readonly ReminderRequest[],
): Promise<ReminderDelivery[]> {
  const ids = [...new Set(requests.map((r) => r.reminderId))];
  const eventIds = [...new Set(requests.map((r) => r.eventId))];
  const changes: Change[] = [];
  let sending: Promise<ReminderDelivery[]> | undefined;
  let mailed: () => void = () => {};
  const mailsDone = new Promise<void>((resolve) => {
    mailed = resolve;
  });
  const transaction = sql.begin(async (tx): Promise<ReminderDelivery[]> => {
    sending = decideAndSend(tx, mailer, requests, ids, eventIds, changes);
    const outcomes = await sending;
    mailed();
    await record(tx, changes);
    return outcomes;
  });
  // Handled below, also when the watchdog answered first.
  transaction.catch(() => {});
  let watchdog: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      transaction,
      // Once the mails are out, the record and commit take milliseconds. A transaction still open
      // seconds later has lost its connection without noticing (a cut socket can leave a query
      // unanswered): record on a fresh one rather than wait for daprd to time out and redeliver.
      mailsDone.then(
        () =>
          new Promise<never>((_, reject) => {
            watchdog = setTimeout(
              () => reject(new Error("the reminder transaction did not finish after its mail was sent")),
              RECORD_WATCHDOG_MS,
            );
          }),
      ),
    ]);
  } catch (error) {
    // A cut connection fails the transaction at once, while the mails are still on their way: they
    // finish regardless, and what the server accepted must be recorded.
    const outcomes = await sending?.catch(() => undefined);
    // Nothing mailed (the failure came first): Dapr redelivers and nothing is lost or doubled.
    if (outcomes === undefined || !changes.some((c) => c.state === "sent")) throw error;
    await recordOnFreshConnection(sql, changes, error);
    return outcomes;
  } finally {
    clearTimeout(watchdog);
  }
}

/** How long the record and commit may take once the mails are out, before they are redone on a fresh connection. */
const RECORD_WATCHDOG_MS = 5_000;

/** Retries of the record after the transaction failed with mail already accepted: ~3 s in all. */
const RECORD_RETRY_DELAYS_MS = [0, 50, 100, 200, 400, 800, 1_600];

/**
 * `record` in a transaction of its own, on whichever pooled connection is alive, retried while the
 * database is away for a moment. The row locks went with the failed transaction, but the guard in
 * `record` (only a `published` reminder changes) still applies each outcome at most once.
 */
async function recordOnFreshConnection(sql: Sql, changes: readonly Change[], cause: unknown): Promise<void> {
  let last: unknown = cause;
  for (const delay of RECORD_RETRY_DELAYS_MS) {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      await sql.begin((tx) => record(tx, changes));
      return;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function decideAndSend(
  tx: TransactionSql,
  mailer: Mailer,
  requests: readonly ReminderRequest[],
  ids: string[],
  eventIds: string[],
  changes: Change[],
): Promise<ReminderDelivery[]> {
  // Sent together: postgres.js pipelines them on the transaction's connection.
  const [processed, rows] = await Promise.all([
    seenEvents(tx, REMINDER_MAIL_CONSUMER, eventIds),
    tx<Row[]>`
      select r.id, r.state, r.task_id, r.remind_at, t.title, t.description, t.priority, t.due_at,
        t.completed, u.email, u.display_name, u.time_zone
      from reminders r
      join tasks t on t.id = r.task_id and t.user_id = r.user_id
      join users u on u.id = r.user_id
      where r.id = any(${ids}::uuid[])
        or (r.task_id, r.remind_at) in (select task_id, remind_at from reminders where id = any(${ids}::uuid[]))
      order by r.id
      for update of r`,
  ]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const taken = new Set<string>();
  // The mail of each task and instant being sent in this batch, for its twins to wait on.
  const mailing = new Map<string, Promise<ReminderDelivery>>();
  const results = requests.map(async (request): Promise<ReminderDelivery> => {
    const { reminderId, eventId } = request;
    if (processed.has(eventId)) return { outcome: "skipped", reason: "event already processed" };
    const row = byId.get(reminderId);
    // Deleting a task deletes its reminders (on delete cascade).
    if (!row) return { outcome: "skipped", reason: "reminder or task no longer exists" };
    if (taken.has(reminderId)) return { outcome: "skipped", reason: "reminder handled by another event" };
    taken.add(reminderId);
    if (row.state !== "published") return { outcome: "skipped", reason: `reminder is ${row.state}` };
    if (row.completed) {
      changes.push({ reminderId, eventId, state: "cancelled", error: null });
      return { outcome: "skipped", reason: "task is completed; reminder cancelled" };
    }
    const instant = `${row.task_id}/${row.remind_at.getTime()}`;
    const twinSent = rows.find(
      (o) => o.id !== row.id && `${o.task_id}/${o.remind_at.getTime()}` === instant && o.state === "sent",
    );
    if (twinSent) return sentWithTwin(changes, request, twinSent.id);
    const first = mailing.get(instant);
    if (first === undefined) {
      const sending = send(mailer, row, request, changes);
      mailing.set(instant, sending);
      return sending;
    }
    const outcome = await first;
    if (outcome.outcome === "sent") return sentWithTwin(changes, request, outcome.messageId);
    return send(mailer, row, request, changes);
  });
  return Promise.all(results);
}

function sentWithTwin(changes: Change[], request: ReminderRequest, twin: string): ReminderDelivery {
  changes.push({ reminderId: request.reminderId, eventId: request.eventId, state: "sent", error: null });
  return { outcome: "skipped", reason: `mailed with a reminder of the same task at the same time (${twin})` };
}

async function send(
  mailer: Mailer,
  row: Row,
  request: ReminderRequest,
  changes: Change[],
): Promise<ReminderDelivery> {
  const { reminderId, eventId } = request;
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
  try {
    const { messageId } = await mailer.send(message, request.signal);
    changes.push({ reminderId, eventId, state: "sent", error: null });
    return { outcome: "sent", messageId };
  } catch (error) {
    const failure = classifyMailError(error);
    if (failure.kind === "temporary") {
      changes.push({ reminderId, eventId, state: "published", error: failure.reason });
      return { outcome: "retry", reason: failure.reason };
    }
    changes.push({ reminderId, eventId, state: "failed", error: failure.reason });
    return { outcome: "failed", reason: failure.reason };
  }
}

/**
 * The states and the inbox rows, in the caller's transaction. Every attempt to mail counts in
 * `send_attempts` (`sent`, `failed`, and a temporary failure, which keeps the reminder `published` for
 * the redelivery); a cancellation does not; `attempts` counts announcements, not mail (see reclaim.ts).
 * Only a `published` reminder changes (the lock already ensures it; the guard keeps it so without the
 * lock). A retry records no inbox row, so the redelivery is handled.
 */
async function record(tx: TransactionSql, changes: readonly Change[]): Promise<void> {
  if (changes.length === 0) return;
  const finished = changes.filter((c) => c.state !== "published").map((c) => c.eventId);
  await Promise.all([
    tx`
      update reminders r set state = c.state, updated_at = now(),
        sent_at = case when c.state = 'sent' then now() else r.sent_at end,
        send_attempts = r.send_attempts + case when c.state = 'cancelled' then 0 else 1 end,
        last_error = c.error
      from unnest(${changes.map((c) => c.reminderId)}::uuid[], ${changes.map((c) => c.state)}::text[],
        ${changes.map((c) => c.error)}::text[]) as c (id, state, error)
      where r.id = c.id and r.state = 'published'`,
    recordEvents(tx, REMINDER_MAIL_CONSUMER, finished),
  ]);
}
