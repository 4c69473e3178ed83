/**
 * An SMTP outage of an hour loses no reminder (issue 15 §3). The whole path runs for real: the claim and
 * its sweep (claimDueReminders, as check-due-tasks runs it), the outbox relay, the local sidecar with
 * its retries and dead-letter topic, the email group's router, nodemailer and a real SMTP server that
 * answers 421 while "down". The hour is simulated, not waited for: after each round every timestamp the
 * sweep reads is moved ten minutes into the past, which is what ten minutes passing looks like to it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimDueReminders } from "../../functions/_shared/reminders/claim.js";
import { drainOutbox } from "../../runtime/outbox/relay-runner.js";
import { type BehindSidecar, behindSidecar } from "../support/behind-sidecar.js";
import { seedReminders, seedTasks, seedUser } from "../support/claim-fixtures.js";
import { useTestDb } from "../support/db.js";
import { type EmailGroupWithSmtp, emailGroupWithSmtp } from "../support/email-fixtures.js";
import type { TestSmtp } from "../support/smtp.js";

const db = useTestDb("smtp-outage");
let email: EmailGroupWithSmtp;
let smtp: TestSmtp;
let stack: BehindSidecar;

beforeAll(async () => {
  email = await emailGroupWithSmtp(db.sql);
  smtp = email.smtp;
  stack = await behindSidecar(email.app, "email");
});
afterAll(async () => {
  await stack?.close();
  await email?.close();
});
beforeEach(async () => {
  smtp.received.length = 0;
  smtp.rejectWith = undefined;
  await db.sql`delete from outbox`;
  await db.sql`delete from reminders`;
});

/** One round of check-due-tasks and what follows it: claim or sweep, publish, deliver (retries, DLQ). */
async function round() {
  const claimed = await claimDueReminders({ sql: db.sql });
  await drainOutbox(db.sql, stack.client);
  await stack.sidecar.idle(10_000);
  return claimed;
}

/** Ten minutes pass, as far as the sweep can tell. */
const advance = (minutes: number) => db.sql`
  update reminders set remind_at = remind_at - make_interval(mins => ${minutes}),
    updated_at = updated_at - make_interval(mins => ${minutes}), created_at = created_at - make_interval(mins => ${minutes})`;

const state = async (id: string) =>
  (
    await db.sql<{ state: string; attempts: number; send_attempts: number; last_error: string | null }[]>`
      select state, attempts, send_attempts, last_error from reminders where id = ${id}`
  )[0];

describe("an SMTP outage", () => {
  it("of an hour, spanning several delivery rounds: the reminder is mailed once, when the server is back", async () => {
    const [reminder = ""] = await seedReminders(db.sql, await seedTasks(db.sql, await seedUser(db.sql), 1), {
      inSeconds: -1,
    });
    smtp.rejectWith = { code: 421, message: "Service not available, try again later" };
    let minutes = 0;
    for (; minutes < 60; minutes += 10) {
      await round();
      expect((await state(reminder))?.state).toBe("published");
      await advance(10);
    }
    const duringOutage = await state(reminder);
    // Past the old shared cap of 10 (claims and sends counted together), which made it `failed`.
    expect((duringOutage?.attempts ?? 0) + (duringOutage?.send_attempts ?? 0)).toBeGreaterThan(10);
    expect(duringOutage?.last_error).toMatch(/^421/);
    expect(smtp.received).toHaveLength(0);

    smtp.rejectWith = undefined; // the server is back after an hour
    for (; minutes <= 180 && (await state(reminder))?.state !== "sent"; minutes += 10) {
      await round();
      await advance(10);
    }
    expect(await state(reminder)).toMatchObject({ state: "sent" });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.raw).toContain(`Message-ID: <reminder-${reminder}@taskbeat>`);
    // Announced a handful of times over the hour (the wait doubles), not once a tick.
    expect(duringOutage?.attempts).toBeLessThanOrEqual(5);
  }, 60_000);

  it("that outlasts the retry horizon: the reminder is given up as failed, with the last error", async () => {
    const [reminder = ""] = await seedReminders(db.sql, await seedTasks(db.sql, await seedUser(db.sql), 1), {
      inSeconds: -1,
    });
    smtp.rejectWith = { code: 451, message: "Local error, try again" };
    await round();
    const givenUp = [];
    for (let hours = 0; hours < 26 && (await state(reminder))?.state === "published"; hours++) {
      await advance(60);
      givenUp.push(...(await round()).givenUp);
    }
    expect(await state(reminder)).toMatchObject({ state: "failed" });
    expect((await state(reminder))?.last_error).toMatch(
      /^gave up 24 h after remind_at, after \d+ mail attempts: 451/,
    );
    expect(givenUp.map((r) => r.id)).toEqual([reminder]);
    expect(smtp.received).toHaveLength(0);
  }, 60_000);
});
