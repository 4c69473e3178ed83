/**
 * The at-least-once window of reminder mail (issue 15 §3): when the transaction that holds the
 * reminder fails at its commit after the SMTP server accepted the mail (a cut connection, a failover),
 * the `sent` outcome is still recorded, on a fresh transaction, so Dapr does not redeliver and the
 * reminder is not mailed twice. The commit is made to fail once by a deferred trigger, which fires only
 * at COMMIT (killing the session instead trips postgres.js's own crash on a closed socket, porsager/postgres
 * #1154, which another change deals with). Real PostgreSQL, a real SMTP server.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../../../test/support/db.js";
import { inboxHas, reminderState, seedReminder } from "../../../test/support/email-fixtures.js";
import { startTestSmtp, type TestSmtp } from "../../../test/support/smtp.js";
import { createSmtpMailer, type Mailer } from "./mailer.js";
import { deliverReminders } from "./reminder-delivery.js";

const db = useTestDb("reminder-record");
let smtp: TestSmtp;
let mailer: Mailer;
beforeAll(async () => {
  smtp = await startTestSmtp();
  mailer = createSmtpMailer({ url: smtp.url, from: "taskbeat <r@taskbeat.test>", timeoutMs: 5000 });
});
afterAll(async () => {
  await mailer?.close();
  await smtp?.stop();
});
afterEach(async () => {
  await db.sql.unsafe(`
    drop trigger if exists fail_commit on reminders;
    drop function if exists fail_commits();
    drop sequence if exists commit_failures`);
});

/** The next `times` commits that changed a reminder fail; a sequence counts, as it ignores rollbacks. */
async function failNextCommits(times: number) {
  await db.sql.unsafe(`
    create sequence commit_failures;
    create function fail_commits() returns trigger language plpgsql as $$
    begin
      if nextval('commit_failures') <= ${times} then raise exception 'the commit failed (test)'; end if;
      return null;
    end $$;
    create constraint trigger fail_commit after update on reminders
      deferrable initially deferred for each row execute function fail_commits()`);
}

describe("the reminder's transaction failing after the mail went out", () => {
  it("records `sent` on a fresh transaction: one mail, the reminder sent, the event in the inbox", async () => {
    const reminder = await seedReminder(db.sql);
    const eventId = randomUUID();
    await failNextCommits(1);
    const [outcome] = await deliverReminders(db.sql, mailer, [{ reminderId: reminder.reminderId, eventId }]);
    expect(outcome).toMatchObject({ outcome: "sent" });
    expect(smtp.received).toHaveLength(1);
    expect(await reminderState(db.sql, reminder.reminderId)).toMatchObject({
      state: "sent",
      sendAttempts: 1,
    });
    expect(await inboxHas(db.sql, eventId)).toBe(true);
  });

  it("retries the record while it keeps failing, and gives up (Dapr redelivers) only after that", async () => {
    const reminder = await seedReminder(db.sql);
    await failNextCommits(100);
    const request = { reminderId: reminder.reminderId, eventId: randomUUID() };
    await expect(deliverReminders(db.sql, mailer, [request])).rejects.toThrow(/the commit failed/);
    const [{ failures = 0 } = {}] = await db.sql<{ failures: number }[]>`
      select last_value::int as failures from commit_failures`;
    expect(failures).toBeGreaterThan(3); // the transaction, then the fresh records
    expect(await reminderState(db.sql, reminder.reminderId)).toMatchObject({ state: "published" });
  });

  it("a failure before any mail was accepted is not recorded again: nothing was sent", async () => {
    const reminder = await seedReminder(db.sql);
    smtp.rejectWith = { code: 421, message: "try later" };
    await failNextCommits(1);
    try {
      await expect(
        deliverReminders(db.sql, mailer, [{ reminderId: reminder.reminderId, eventId: randomUUID() }]),
      ).rejects.toThrow(/the commit failed/);
    } finally {
      smtp.rejectWith = undefined;
    }
    expect(await reminderState(db.sql, reminder.reminderId)).toMatchObject({
      state: "published",
      sendAttempts: 0,
    });
  });
});
