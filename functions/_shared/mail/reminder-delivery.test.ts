/**
 * Delivering reminders in batches against real PostgreSQL and a real SMTP server: each request's own
 * outcome, what one transaction records for all of them, failures of single mails within a batch,
 * and two batches racing for the same reminders.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDb } from "../../../test/support/db.js";
import { inboxHas, reminderState, seedReminder } from "../../../test/support/email-fixtures.js";
import { parseMail, startTestSmtp, type TestSmtp } from "../../../test/support/smtp.js";
import { createSmtpMailer, type Mailer } from "./mailer.js";
import { deliverReminders, type ReminderRequest } from "./reminder-delivery.js";

const db = useTestDb("mail-reminder-delivery");
let smtp: TestSmtp;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startTestSmtp();
  mailer = createSmtpMailer({ url: smtp.url, from: "taskbeat <reminders@taskbeat.test>", timeoutMs: 2000 });
});
afterAll(async () => {
  await mailer.close();
  await smtp.stop();
});
beforeEach(() => {
  smtp.received.length = 0;
  smtp.delayMs = 0;
});

const request = (reminderId: string, eventId = randomUUID()): ReminderRequest => ({ reminderId, eventId });
const mailedIds = () => smtp.received.map((m) => parseMail(m.raw).headers["x-taskbeat-reminder-id"]).sort();

/** The SMTP mailer, except that the listed reminders' mails fail with the given error. */
function failingFor(errors: Record<string, unknown>): Mailer {
  return {
    ...mailer,
    send: (message, signal) =>
      message.key in errors ? Promise.reject(errors[message.key]) : mailer.send(message, signal),
  };
}

describe("deliverReminders", () => {
  it("answers each request on its own, in order, and records the batch's states and inbox rows", async () => {
    const [a, b, cancelled, completed, twice, seen] = await Promise.all([
      seedReminder(db.sql),
      seedReminder(db.sql),
      seedReminder(db.sql, { state: "cancelled" }),
      seedReminder(db.sql),
      seedReminder(db.sql),
      seedReminder(db.sql),
    ]);
    await db.sql`update tasks set completed = true, completed_at = now() where id = ${completed.taskId}`;
    const seenEvent = randomUUID();
    await db.sql`insert into processed_events (consumer, event_id) values ('email.reminder-due', ${seenEvent})`;
    const requests = [
      request(a.reminderId),
      request(b.reminderId),
      request(cancelled.reminderId),
      request(completed.reminderId),
      request(twice.reminderId),
      request(twice.reminderId),
      request(seen.reminderId, seenEvent),
    ];

    const outcomes = await deliverReminders(db.sql, mailer, requests);

    expect(outcomes).toEqual([
      { outcome: "sent", messageId: `<reminder-${a.reminderId}@taskbeat>` },
      { outcome: "sent", messageId: `<reminder-${b.reminderId}@taskbeat>` },
      { outcome: "skipped", reason: "reminder is cancelled" },
      { outcome: "skipped", reason: "task is completed; reminder cancelled" },
      { outcome: "sent", messageId: `<reminder-${twice.reminderId}@taskbeat>` },
      { outcome: "skipped", reason: "reminder handled by another event" },
      { outcome: "skipped", reason: "event already processed" },
    ]);
    expect(mailedIds()).toEqual([a.reminderId, b.reminderId, twice.reminderId].sort());
    for (const sent of [a, b, twice]) {
      expect(await reminderState(db.sql, sent.reminderId)).toMatchObject({ state: "sent", sendAttempts: 1 });
    }
    expect(await reminderState(db.sql, completed.reminderId)).toMatchObject({
      state: "cancelled",
      sendAttempts: 0,
    });
    expect(await reminderState(db.sql, seen.reminderId)).toMatchObject({
      state: "published",
      sendAttempts: 0,
    });
    const recorded = await Promise.all(requests.map((r) => inboxHas(db.sql, r.eventId)));
    expect(recorded).toEqual([true, true, false, true, true, false, true]);
  });

  it("a mail that fails changes only its own reminder: temporary keeps it published, permanent fails it", async () => {
    const [ok, later, refused] = await Promise.all([
      seedReminder(db.sql),
      seedReminder(db.sql),
      seedReminder(db.sql),
    ]);
    const flaky = failingFor({
      [later.reminderId]: Object.assign(new Error("Connection closed"), { code: "ECONNECTION" }),
      [refused.reminderId]: Object.assign(new Error("no such user"), {
        code: "EENVELOPE",
        responseCode: 550,
      }),
    });
    const requests = [ok, later, refused].map((r) => request(r.reminderId));

    const outcomes = await deliverReminders(db.sql, flaky, requests);

    expect(outcomes.map((o) => o.outcome)).toEqual(["sent", "retry", "failed"]);
    expect(await reminderState(db.sql, ok.reminderId)).toMatchObject({ state: "sent", last_error: null });
    expect(await reminderState(db.sql, later.reminderId)).toMatchObject({
      state: "published",
      sendAttempts: 1,
      last_error: "ECONNECTION: Connection closed",
    });
    expect(await reminderState(db.sql, refused.reminderId)).toMatchObject({
      state: "failed",
      sendAttempts: 1,
      last_error: "550: no such user",
    });
    // The retried one is not in the inbox, so its redelivery is handled.
    expect(await Promise.all(requests.map((r) => inboxHas(db.sql, r.eventId)))).toEqual([true, false, true]);
  });

  it("two batches racing for the same reminders mail each once: the later one waits for the locks", async () => {
    const reminders = await Promise.all([1, 2, 3].map(() => seedReminder(db.sql)));
    const ids = reminders.map((r) => r.reminderId);
    smtp.delayMs = 100;

    const [first, second] = await Promise.all([
      deliverReminders(
        db.sql,
        mailer,
        ids.map((id) => request(id)),
      ),
      // The other order: locks are taken in id order, so the two cannot deadlock.
      deliverReminders(
        db.sql,
        mailer,
        [...ids].reverse().map((id) => request(id)),
      ),
    ]);

    expect(mailedIds()).toEqual([...ids].sort());
    const outcomes = [...(first ?? []), ...(second ?? [])].map((o) => o.outcome).sort();
    expect(outcomes).toEqual(["sent", "sent", "sent", "skipped", "skipped", "skipped"]);
  });
});

describe("deliverReminders, two reminders of one task at the same instant", () => {
  /** A second published reminder of `seeded`'s task, at the same remind_at. */
  async function twinOf(seeded: { reminderId: string }): Promise<string> {
    const [twin] = await db.sql<{ id: string }[]>`
      insert into reminders (task_id, user_id, remind_at, minutes_before, state)
      select task_id, user_id, remind_at, 60, 'published' from reminders where id = ${seeded.reminderId}
      returning id`;
    return twin?.id ?? "";
  }

  it("in one batch: one mail, both reminders sent", async () => {
    const seeded = await seedReminder(db.sql);
    const twin = await twinOf(seeded);
    const outcomes = await deliverReminders(db.sql, mailer, [request(seeded.reminderId), request(twin)]);
    expect(outcomes[0]).toEqual({ outcome: "sent", messageId: `<reminder-${seeded.reminderId}@taskbeat>` });
    expect(outcomes[1]).toMatchObject({
      outcome: "skipped",
      reason: expect.stringMatching(/same task at the same time/),
    });
    expect(mailedIds()).toEqual([seeded.reminderId]);
    for (const id of [seeded.reminderId, twin]) {
      expect(await reminderState(db.sql, id), id).toMatchObject({ state: "sent" });
    }
  });

  it("one event after the other, or both at once: one mail", async () => {
    const seeded = await seedReminder(db.sql);
    const twin = await twinOf(seeded);
    await deliverReminders(db.sql, mailer, [request(twin)]);
    const [later] = await deliverReminders(db.sql, mailer, [request(seeded.reminderId)]);
    expect(later).toMatchObject({ outcome: "skipped", reason: expect.stringContaining(twin) });
    expect(mailedIds()).toEqual([twin]);

    smtp.received.length = 0;
    smtp.delayMs = 100;
    const racing = await seedReminder(db.sql);
    const racingTwin = await twinOf(racing);
    const outcomes = await Promise.all([
      deliverReminders(db.sql, mailer, [request(racing.reminderId)]),
      deliverReminders(db.sql, mailer, [request(racingTwin)]),
    ]);
    expect(smtp.received).toHaveLength(1);
    expect(
      outcomes
        .flat()
        .map((o) => o.outcome)
        .sort(),
    ).toEqual(["sent", "skipped"]);
    expect(await reminderState(db.sql, racingTwin)).toMatchObject({ state: "sent" });
    expect(await reminderState(db.sql, racing.reminderId)).toMatchObject({ state: "sent" });
  });

  it("a twin whose mail failed does not stand in: the other is mailed itself", async () => {
    const seeded = await seedReminder(db.sql);
    const twin = await twinOf(seeded);
    const permanent = Object.assign(new Error("no such user"), { code: "EENVELOPE", responseCode: 550 });
    const failing = failingFor({ [seeded.reminderId]: permanent });
    const outcomes = await deliverReminders(db.sql, failing, [request(seeded.reminderId), request(twin)]);
    expect(outcomes.map((o) => o.outcome)).toEqual(["failed", "sent"]);
    expect(mailedIds()).toEqual([twin]);
  });
});
