/**
 * The reminder-due handler as a function, against real PostgreSQL and a real SMTP server on a
 * loopback port: what it mails, what it records, and what it signals to Dapr.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DropMessage, RetryLater } from "../../runtime/outcomes.js";
import { useTestDb } from "../../test/support/db.js";
import {
  handlerContext,
  inboxHas,
  reminderDueEvent,
  reminderState,
  type SeedOptions,
  seedReminder,
} from "../../test/support/email-fixtures.js";
import { freePort } from "../../test/support/ports.js";
import { parseMail, startTestSmtp, type TestSmtp } from "../../test/support/smtp.js";
import { createFileMailer, createSmtpMailer, type Mailer, setMailer } from "../_shared/mail/mailer.js";
import handler from "./reminder-due.topic.js";

const db = useTestDb("email-reminder-due");
const FROM = "taskbeat <reminders@taskbeat.test>";
let smtp: TestSmtp;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startTestSmtp();
  mailer = createSmtpMailer({ url: smtp.url, from: FROM, timeoutMs: 2000 });
});
afterAll(async () => {
  await mailer.close();
  await smtp.stop();
});
beforeEach(() => {
  smtp.received.length = 0;
  smtp.rejectWith = undefined;
  smtp.delayMs = 0;
  setMailer(mailer);
});

async function deliver(data: unknown, id?: string) {
  const event = reminderDueEvent(data, id);
  await handler.handle(data as never, handlerContext(db.sql, event));
  return event;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

async function seed(options: SeedOptions = {}) {
  return seedReminder(db.sql, options);
}

describe("email reminder-due", () => {
  it("mails the reminder with its headers, both bodies and the due time in the user's zone; marks it sent", async () => {
    const r = await seed({
      timeZone: "Europe/Berlin",
      displayName: "Ada Lovelace",
      title: 'Pay <b>rent</b> & "bills"',
      description: "Transfer to the landlord\n<script>alert(1)</script>",
      priority: "high",
      dueAt: new Date("2026-07-01T07:00:00Z"),
    });
    const event = await deliver(r.data);

    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail?.from).toBe("reminders@taskbeat.test");
    expect(mail?.to).toEqual([r.email]);
    const parsed = parseMail(mail?.raw ?? "");
    expect(parsed.headers["message-id"]).toBe(`<reminder-${r.reminderId}@taskbeat>`);
    expect(parsed.headers.subject).toBe(
      'Reminder: Pay <b>rent</b> & "bills" is due Wed, Jul 1, 9:00 AM GMT+2',
    );
    expect(parsed.headers.to).toBe(`Ada Lovelace <${r.email}>`);
    expect(parsed.headers["auto-submitted"]).toBe("auto-generated");
    expect(parsed.headers["x-taskbeat-task-id"]).toBe(r.taskId);
    expect(parsed.headers["content-type"]).toMatch(/^multipart\/alternative/);

    expect(parsed.text).toContain("Due:       Wednesday, July 1, 2026 at 9:00 AM GMT+2 (Europe/Berlin)");
    expect(parsed.text).toContain("Priority:  High");
    expect(parsed.text).toContain("Transfer to the landlord\n<script>alert(1)</script>");

    expect(parsed.html).toContain("Pay &#60;b&#62;rent&#60;/b&#62; &#38; &#34;bills&#34;");
    expect(parsed.html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(parsed.html).not.toContain("<script>");
    expect(parsed.html).not.toContain("<b>rent");
    expect(parsed.html).toContain("Wednesday, July 1, 2026 at 9:00 AM GMT+2 (Europe/Berlin)");

    const state = await reminderState(db.sql, r.reminderId);
    expect(state).toMatchObject({ state: "sent", sendAttempts: 1, last_error: null });
    expect(state?.sent_at).toBeInstanceOf(Date);
    expect(await inboxHas(db.sql, event.id)).toBe(true);
  });

  it("formats the due time in New York's zone too (EDT in summer, EST in winter)", async () => {
    const summer = await seed({ timeZone: "America/New_York", dueAt: new Date("2026-07-01T13:00:00Z") });
    const winter = await seed({ timeZone: "America/New_York", dueAt: new Date("2026-12-01T14:00:00Z") });
    await deliver(summer.data);
    await deliver(winter.data);
    const subjects = smtp.received.map((m) => parseMail(m.raw).headers.subject);
    expect(subjects).toEqual([
      "Reminder: Water the plants is due Wed, Jul 1, 9:00 AM EDT",
      "Reminder: Water the plants is due Tue, Dec 1, 9:00 AM EST",
    ]);
  });

  it("the same event delivered twice mails once; so does a second event for the same reminder", async () => {
    const r = await seed();
    const first = await deliver(r.data);
    await deliver(r.data, first.id);
    await deliver(r.data);
    expect(smtp.received).toHaveLength(1);
    expect(await reminderState(db.sql, r.reminderId)).toMatchObject({ state: "sent", sendAttempts: 1 });
  });

  it("concurrent deliveries of one reminder mail once (batched together, the duplicates are skipped)", async () => {
    const r = await seed();
    smtp.delayMs = 300;
    await Promise.all([deliver(r.data), deliver(r.data), deliver(r.data)]);
    expect(smtp.received).toHaveLength(1);
    expect(await reminderState(db.sql, r.reminderId)).toMatchObject({ state: "sent", sendAttempts: 1 });
  });

  it("no mail, and SUCCESS, for a reminder that is cancelled, already sent, failed or still pending", async () => {
    for (const state of ["cancelled", "sent", "failed", "pending"]) {
      const r = await seed({ state });
      await deliver(r.data);
      expect((await reminderState(db.sql, r.reminderId))?.state).toBe(state);
    }
    expect(smtp.received).toEqual([]);
  });

  it("no mail for a completed task (its reminder is cancelled) or a deleted one", async () => {
    const completed = await seed();
    await db.sql`update tasks set completed = true, completed_at = now() where id = ${completed.taskId}`;
    const event = await deliver(completed.data);
    expect(await reminderState(db.sql, completed.reminderId)).toMatchObject({ state: "cancelled" });
    expect(await inboxHas(db.sql, event.id)).toBe(true);

    const deleted = await seed();
    await db.sql`delete from tasks where id = ${deleted.taskId}`;
    await deliver(deleted.data);
    expect(smtp.received).toEqual([]);
  });

  it("SMTP server down: RetryLater with the attempt recorded; once it is back, the retry delivers", async () => {
    const port = await freePort();
    const down = createSmtpMailer({
      url: `smtp://user:secret@127.0.0.1:${port}`,
      from: FROM,
      timeoutMs: 1000,
    });
    setMailer(down);
    const r = await seed();
    const event = reminderDueEvent(r.data);
    const error = await failure(Promise.resolve(handler.handle(r.data, handlerContext(db.sql, event))));
    expect(error).toBeInstanceOf(RetryLater);
    const after = await reminderState(db.sql, r.reminderId);
    expect(after).toMatchObject({ state: "published", sendAttempts: 1 });
    expect(after?.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(await inboxHas(db.sql, event.id)).toBe(false);

    const back = await startTestSmtp(port);
    try {
      await handler.handle(r.data, handlerContext(db.sql, event));
      expect(back.received).toHaveLength(1);
      expect(await reminderState(db.sql, r.reminderId)).toMatchObject({
        state: "sent",
        sendAttempts: 2,
        last_error: null,
      });
    } finally {
      await down.close();
      await back.stop();
    }
  });

  it("SMTP 4xx: RetryLater, the reminder stays published", async () => {
    const r = await seed();
    smtp.rejectWith = { code: 451, message: "try again later" };
    expect(await failure(deliver(r.data))).toBeInstanceOf(RetryLater);
    expect(await reminderState(db.sql, r.reminderId)).toMatchObject({ state: "published", sendAttempts: 1 });
    smtp.rejectWith = undefined;
    await deliver(r.data);
    expect(smtp.received).toHaveLength(1);
  });

  it("SMTP 5xx: the reminder is failed with the reply, DropMessage; a redelivery changes nothing", async () => {
    const r = await seed();
    smtp.rejectWith = { code: 550, message: "mailbox unavailable" };
    const event = reminderDueEvent(r.data);
    const error = await failure(Promise.resolve(handler.handle(r.data, handlerContext(db.sql, event))));
    expect(error).toBeInstanceOf(DropMessage);
    const state = await reminderState(db.sql, r.reminderId);
    expect(state).toMatchObject({ state: "failed", sendAttempts: 1 });
    expect(state?.last_error).toMatch(/^550: .*mailbox unavailable/);
    expect(await inboxHas(db.sql, event.id)).toBe(true);

    smtp.rejectWith = undefined;
    await handler.handle(r.data, handlerContext(db.sql, event));
    expect(smtp.received).toEqual([]);
  });

  it("file transport: one .eml per reminder, named by its id; a re-send overwrites it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taskbeat-mail-"));
    try {
      setMailer(createFileMailer({ dir, from: FROM }));
      const a = await seed({ title: "First" });
      const b = await seed({ title: "Second" });
      await deliver(a.data);
      await deliver(b.data);
      // As if the process died after writing and before recording it: the redelivery writes again.
      await db.sql`update reminders set state = 'published' where id = ${a.reminderId}`;
      await deliver(a.data);
      expect((await readdir(dir)).sort()).toEqual([`${a.reminderId}.eml`, `${b.reminderId}.eml`].sort());
      const parsed = parseMail(await readFile(join(dir, `${a.reminderId}.eml`), "utf8"));
      expect(parsed.headers["message-id"]).toBe(`<reminder-${a.reminderId}@taskbeat>`);
      expect(parsed.headers.subject).toMatch(/^Reminder: First is due /);
      expect(parsed.text).toContain("Priority:  Medium");
      expect(smtp.received).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
