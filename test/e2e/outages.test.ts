/**
 * Outages and poison, end to end (see _stack.ts): the sidecar unreachable while tasks are created and
 * reminders fall due loses nothing; SMTP down is retried, then delivered; a malformed event is dropped
 * once to its dead-letter topic and never retried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { TASK_EVENT } from "../../functions/_shared/domain/tasks-events.js";
import { reminderMessageId } from "../../functions/_shared/mail/compose.js";
import { REMINDER_DUE_TYPE } from "../../functions/_shared/reminders/claim-event.js";
import { createCloudEvent } from "../../runtime/cloudevent.js";
import { PUBSUB, TOPICS } from "../../runtime/outbox/enqueue.js";
import { useTestDb } from "../support/db.js";
import {
  type Assistant,
  connectAssistant,
  deadLettered,
  inMs,
  mailsById,
  type Stack,
  settle,
  startStack,
} from "./_stack.js";

const db = useTestDb("e2e-outages", { max: 10 });
let stack: Stack;
let ada: Assistant;

beforeAll(async () => {
  stack = await startStack(db);
  ada = await connectAssistant(db, stack);
});
afterAll(async () => {
  await ada?.close();
  await stack?.close();
});
beforeEach(async () => {
  await settle(db, stack);
  stack.sidecar.faults.reset();
  stack.smtp.received.length = 0;
});

const outcomes = (route: string, outcome: string) => stack.metrics.deliveries.get({ route, outcome });

async function taskWithReminder(title: string, remindInMs: number) {
  const { task } = await ada.call<{ task: { id: string } }>("add_task", {
    title,
    due_date: inMs(remindInMs + 60_000),
  });
  const { reminder } = await ada.call<{ reminder: { id: string } }>("set_reminder", {
    task_id: task.id,
    remind_at: inMs(remindInMs),
  });
  return reminder.id;
}

async function completedDaily(title: string) {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const { task } = await ada.call<{ task: { id: string } }>("add_task", {
    title,
    due_date: `${yesterday}T09:00`,
    recurrence_rule: "every day",
  });
  await ada.call("complete_task", { task_id: task.id });
  return task.id;
}

const nextTasks = async (ids: string[]) =>
  (await db.sql`select 1 from tasks where series_id = any(${ids}::uuid[]) and id <> all(${ids}::uuid[])`)
    .length;

describe("outages", () => {
  // Needs a real server: on embedded PGlite the relay's claim holds the only session while the
  // sidecar refuses connections, so everything else queues behind it for the whole outage.
  it.runIf(!inject("databaseIsEmbedded"))(
    "sidecar unreachable for 2 s while tasks are created and reminders fall due → nothing lost (needs a PostgreSQL server)",
    async () => {
      const failedBefore = stack.relay.stats.failed;
      const outage = stack.sidecar.faults.unreachableFor(2_000);
      const stamp = Date.now();
      const reminders: string[] = [];
      for (let i = 0; i < 10; i++) reminders.push(await taskWithReminder(`Outage ${stamp} #${i}`, 1_000));
      const repeating: string[] = [];
      for (let i = 0; i < 5; i++) repeating.push(await completedDaily(`Outage daily ${stamp} #${i}`));
      await outage;

      await expect.poll(() => mailsById(stack.smtp).size, { timeout: 15_000, interval: 100 }).toBe(10);
      await expect.poll(() => nextTasks(repeating), { timeout: 15_000, interval: 100 }).toBe(5);
      // A row refused several times during the outage backs off (1, 2, 4, 8 s) before its next attempt; settle
      // returns as soon as the outbox is empty, so the longer bound costs nothing when it is not needed.
      await settle(db, stack, 30_000);

      // The outage was real: publishes were refused and retried.
      expect(stack.relay.stats.failed).toBeGreaterThan(failedBefore);
      expect([...mailsById(stack.smtp).keys()].sort()).toEqual(reminders.map(reminderMessageId).sort());
      expect(stack.smtp.received).toHaveLength(10);
      expect(await nextTasks(repeating)).toBe(5);
      const [dead] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbox_dead`;
      expect(dead?.n).toBe(0);
    },
  );

  it("SMTP down → the delivery is retried (RETRY), then the mail arrives once the server is back", async () => {
    const retriesBefore = outcomes("/events/email/reminder-due", "retry");
    await stack.smtp.stop();
    let restarted = false;
    try {
      const reminderId = await taskWithReminder(`SMTP outage ${Date.now()}`, 1_000);
      await expect
        .poll(
          async () =>
            (
              await db.sql<{ send_attempts: number }[]>`
                select send_attempts from reminders where id = ${reminderId}`
            )[0]?.send_attempts,
          { timeout: 8_000, interval: 50 },
        )
        .toBeGreaterThanOrEqual(2); // two refused sends (the claim counts in `attempts`)
      await stack.smtp.start();
      restarted = true;

      await expect.poll(() => stack.smtp.received.length, { timeout: 8_000, interval: 50 }).toBe(1);
      await settle(db, stack);
      expect(outcomes("/events/email/reminder-due", "retry") - retriesBefore).toBeGreaterThanOrEqual(2);
      expect([...mailsById(stack.smtp)]).toEqual([[reminderMessageId(reminderId), 1]]);
      const [row] = await db.sql<{ state: string }[]>`select state from reminders where id = ${reminderId}`;
      expect(row?.state).toBe("sent");
      expect(deadLettered(stack.sidecar, TOPICS.taskReminders)).toEqual([]);
    } finally {
      if (!restarted) await stack.smtp.start();
    }
  });
});

describe("malformed events", () => {
  it.each([
    [TOPICS.taskReminders, REMINDER_DUE_TYPE, "/events/email/reminder-due", { reminder_id: "not-a-uuid" }],
    [TOPICS.taskRecurrence, TASK_EVENT.completed, "/events/recurring/task-completed", { id: 42 }],
  ])("on %s: DROP once, to the dead-letter topic, never retried", async (topic, type, route, data) => {
    const [drops, retries] = [outcomes(route, "drop"), outcomes(route, "retry")];
    const event = createCloudEvent({ type, source: "e2e", data });
    await stack.dapr.publish(PUBSUB, topic, event);
    await expect
      .poll(() => deadLettered(stack.sidecar, topic), { timeout: 5_000, interval: 20 })
      .toEqual([event.id]);
    // idle(): nothing waits for a retry or a redelivery.
    await stack.sidecar.idle(5_000);
    expect(outcomes(route, "drop") - drops).toBe(1);
    expect(outcomes(route, "retry") - retries).toBe(0);
    expect(deadLettered(stack.sidecar, topic)).toEqual([event.id]);
  });
});
