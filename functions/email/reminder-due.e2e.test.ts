/**
 * The email group end to end: the generated router behind the local sidecar over real HTTP, real
 * PostgreSQL, a real SMTP server. Events go in through the sidecar's publish API, as check-due-tasks'
 * relay puts them there; the sidecar delivers them in bulk, as daprd would.
 */
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../runtime/cloudevent.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { LocalSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { PUBSUB, TOPICS } from "../../runtime/outbox/enqueue.js";
import { type BehindSidecar, behindSidecar } from "../../test/support/behind-sidecar.js";
import { useTestDb } from "../../test/support/db.js";
import {
  type EmailGroupWithSmtp,
  emailGroupWithSmtp,
  reminderDueEvent,
  reminderState,
  seedReminder,
} from "../../test/support/email-fixtures.js";
import type { Served } from "../../test/support/http.js";
import { freePort } from "../../test/support/ports.js";
import { parseMail, type TestSmtp } from "../../test/support/smtp.js";
import { createSmtpMailer, type Mailer, setMailer } from "../_shared/mail/mailer.js";

const ROUTE = "/events/email/reminder-due";
const DLQ = "task-reminders-dlq";

interface BulkRequest {
  type: string;
  entries: Array<{ entryId: string; event: { id: string } }>;
}

const db = useTestDb("email-e2e");
let email: EmailGroupWithSmtp;
let smtp: TestSmtp;
let mailer: Mailer;
let app: Hono;
let stack: BehindSidecar | undefined;
let served: Served;
let sidecar: LocalSidecar;
let client: DaprClient;
/** Every delivery the router received on the reminder-due route, as sent. */
const requests: BulkRequest[] = [];

beforeAll(async () => {
  email = await emailGroupWithSmtp(db.sql);
  ({ smtp, mailer, app } = email);
  const recording = new Hono();
  recording.all("*", async (c) => {
    if (c.req.method === "POST" && c.req.path === ROUTE) {
      requests.push(JSON.parse(await c.req.raw.clone().text()) as BulkRequest);
    }
    return app.fetch(c.req.raw);
  });
  stack = await behindSidecar(recording, "email");
  ({ served, sidecar, client } = stack);
});
afterAll(async () => {
  await stack?.close();
  await email?.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  smtp.rejectWith = undefined;
  sidecar.faults.reset();
  sidecar.published.length = 0;
  requests.length = 0;
});

const publish = (event: CloudEvent) => client.publish(PUBSUB, TOPICS.taskReminders, event);
const deadLettered = () => sidecar.published.filter((m) => m.topic === DLQ).map((m) => JSON.parse(m.body).id);
const deliveriesOf = (eventId: string) =>
  requests.flatMap((r) => r.entries).filter((e) => e.event.id === eventId).length;

describe("email group behind the local sidecar", () => {
  it("subscribes to task-reminders in bulk (≤ 10 messages or 1 s) with a dead-letter topic", async () => {
    const res = await fetch(`${served.url}/dapr/subscribe`);
    expect(await res.json()).toEqual([
      {
        pubsubname: "pubsub",
        topic: "task-reminders",
        routes: { default: ROUTE },
        deadLetterTopic: DLQ,
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 250 },
      },
    ]);
  });

  it("a due reminder: exactly one email arrives, and the reminder is sent", async () => {
    const r = await seedReminder(db.sql, { title: "Submit the report" });
    await publish(reminderDueEvent(r.data));
    await sidecar.idle();
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.to).toEqual([r.email]);
    expect(parseMail(smtp.received[0]?.raw ?? "").headers.subject).toMatch(/^Reminder: Submit the report/);
    expect((await reminderState(db.sql, r.reminderId))?.state).toBe("sent");
    expect(requests.every((req) => req.type === "com.dapr.event.sent.bulk")).toBe(true);
    expect(deadLettered()).toEqual([]);
  });

  it("with the sidecar duplicating and reordering deliveries, still one email per reminder", async () => {
    sidecar.faults.duplicate = true;
    sidecar.faults.reorder = true;
    const seeded = await Promise.all([1, 2, 3].map(() => seedReminder(db.sql)));
    for (const r of seeded) await publish(reminderDueEvent(r.data));
    await sidecar.idle();
    expect(requests.flatMap((r) => r.entries)).toHaveLength(6);
    expect(smtp.received.flatMap((m) => m.to).sort()).toEqual(seeded.map((r) => r.email).sort());
  });

  it("SMTP down: the delivery is retried (RETRY), then delivered once the server answers", async () => {
    // The first send goes to a port nobody listens on (a real refused connection), the next ones to the server.
    const down = createSmtpMailer({
      url: `smtp://127.0.0.1:${await freePort()}`,
      from: mailer.from,
      timeoutMs: 1000,
    });
    let sends = 0;
    setMailer({
      ...mailer,
      send: (message, signal) => (sends++ === 0 ? down : mailer).send(message, signal),
    });
    try {
      const r = await seedReminder(db.sql);
      const event = reminderDueEvent(r.data);
      await publish(event);
      await sidecar.idle();
      expect(deliveriesOf(event.id)).toBe(2);
      expect(smtp.received).toHaveLength(1);
      expect(await reminderState(db.sql, r.reminderId)).toMatchObject({ state: "sent", sendAttempts: 2 });
      expect(deadLettered()).toEqual([]);
    } finally {
      setMailer(mailer);
      await down.close();
    }
  });

  it("a malformed event is dropped once and lands on the dead-letter topic, never retried", async () => {
    const bad = reminderDueEvent({ reminder_id: "not-a-uuid", task_id: 7 });
    await publish(bad);
    await sidecar.idle();
    expect(deliveriesOf(bad.id)).toBe(1);
    expect(deadLettered()).toEqual([bad.id]);
    expect(smtp.received).toEqual([]);
  });

  it("a permanent SMTP refusal: the reminder is failed, the event dead-lettered after one attempt", async () => {
    const r = await seedReminder(db.sql);
    smtp.rejectWith = { code: 550, message: "no such mailbox" };
    const event = reminderDueEvent(r.data);
    await publish(event);
    await sidecar.idle();
    expect(deliveriesOf(event.id)).toBe(1);
    expect(deadLettered()).toEqual([event.id]);
    expect((await reminderState(db.sql, r.reminderId))?.state).toBe("failed");
  });

  it("bulk: 25 due reminders → 25 emails, delivered in batches of at most 10", async () => {
    const seeded = await Promise.all(Array.from({ length: 25 }, () => seedReminder(db.sql)));
    // One key, so one partition: its messages come in batches cut at the subscription's maximum.
    const { failed } = await client.publishBulk(
      PUBSUB,
      TOPICS.taskReminders,
      seeded.map((r) => ({ event: reminderDueEvent(r.data), partitionKey: "one-partition" })),
    );
    expect(failed).toEqual([]);
    await sidecar.idle();
    expect(smtp.received).toHaveLength(25);
    expect(new Set(smtp.received.map((m) => parseMail(m.raw).headers["message-id"])).size).toBe(25);
    const sizes = requests.map((r) => r.entries.length).sort((a, b) => a - b);
    expect(sizes).toEqual([5, 10, 10]);
    const states = await db.sql<{ state: string }[]>`
      select state from reminders where id = any(${seeded.map((r) => r.reminderId)}::uuid[])`;
    expect(states.map((s) => s.state)).toEqual(Array(25).fill("sent"));
  });
});
