/**
 * The plan's scenarios, end to end (see _stack.ts for what runs): an assistant's task with a reminder
 * gets exactly one mail; a completed repeating task comes back once, on the right date; the sidecar
 * delivering every event twice changes neither; and a mixed workload in duplicate + reorder mode
 * gives every effect exactly once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reminderMessageId } from "../../functions/_shared/mail/compose.js";
import { useTestDb } from "../support/db.js";
import { parseMail } from "../support/smtp.js";
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

const db = useTestDb("e2e-reminders-recurrence", { max: 10 });
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

interface Task {
  id: string;
  title: string;
  due_date: string | null;
  completed_at: string | null;
  series_id: string | null;
}

async function taskWithReminder(title: string, remindInMs: number) {
  const { task } = await ada.call<{ task: Task }>("add_task", { title, due_date: inMs(remindInMs + 2_000) });
  const { reminder } = await ada.call<{ reminder: { id: string } }>("set_reminder", {
    task_id: task.id,
    remind_at: inMs(remindInMs),
  });
  return { task, reminderId: reminder.id };
}

/** A daily task due yesterday 09:00 UTC, completed now; returns it and when its next one is due. */
async function completedDaily(title: string) {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const { task } = await ada.call<{ task: Task }>("add_task", {
    title,
    due_date: `${yesterday}T09:00`,
    recurrence_rule: "every day",
  });
  const { task: done } = await ada.call<{ task: Task }>("complete_task", { task_id: task.id });
  // The first 09:00 UTC after the later of due date and completion: a late completion skips missed days.
  const next = new Date(`${new Date(Date.parse(done.completed_at ?? "")).toISOString().slice(0, 10)}T09:00Z`);
  if (next.getTime() <= Date.parse(done.completed_at ?? "")) next.setUTCDate(next.getUTCDate() + 1);
  return { task, nextDue: next.getTime() };
}

const series = async (seriesId: string) =>
  (await ada.call<{ tasks: Task[] }>("list_tasks", { limit: 100 })).tasks.filter(
    (t) => t.id === seriesId || t.series_id === seriesId,
  );

const successes = (route: string) => stack.metrics.deliveries.get({ route, outcome: "success" });
const EMAIL_ROUTE = "/events/email/reminder-due";
const RECURRING_ROUTE = "/events/recurring/task-completed";

describe("the plan's scenarios", () => {
  it("a task due in ~3 s with a reminder in 1 s → exactly one mail, with the task's title", async () => {
    const title = `Call the dentist ${Date.now()}`;
    const { reminderId } = await taskWithReminder(title, 1_000);

    await expect.poll(() => stack.smtp.received.length, { timeout: 8_000, interval: 50 }).toBe(1);
    await settle(db, stack);

    const [mail] = stack.smtp.received;
    expect(mail?.to).toEqual([ada.email]);
    const parsed = parseMail(mail?.raw ?? "");
    expect(parsed.headers.subject).toContain(title);
    expect(parsed.headers["message-id"]).toBe(reminderMessageId(reminderId));
    const [row] = await db.sql<{ state: string }[]>`select state from reminders where id = ${reminderId}`;
    expect(row?.state).toBe("sent");
    // The default reminder (60 min before a due date 3 s away) was in the past: never scheduled, never sent.
    expect(stack.smtp.received).toHaveLength(1);
  });

  it('a completed "every day" task due yesterday at 09:00 → one next task, due at the next 09:00', async () => {
    const { task, nextDue } = await completedDaily(`Water the plants ${Date.now()}`);

    await expect.poll(async () => (await series(task.id)).length, { timeout: 8_000, interval: 50 }).toBe(2);
    await settle(db, stack);

    const next = (await series(task.id)).find((t) => t.id !== task.id);
    expect(next?.series_id).toBe(task.id);
    expect(next?.completed_at).toBeNull();
    expect(Date.parse(next?.due_date ?? "")).toBe(nextDue);
    expect(deadLettered(stack.sidecar, "task-recurrence")).toEqual([]);
  });

  it("every event delivered twice (duplicate mode) → still one mail and one next task", async () => {
    stack.sidecar.faults.duplicate = true;
    const [mailsBefore, nextBefore] = [successes(EMAIL_ROUTE), successes(RECURRING_ROUTE)];
    const { reminderId } = await taskWithReminder(`Twice ${Date.now()}`, 1_000);
    const { task } = await completedDaily(`Twice daily ${Date.now()}`);

    await expect.poll(() => stack.smtp.received.length, { timeout: 8_000, interval: 50 }).toBe(1);
    await expect.poll(async () => (await series(task.id)).length, { timeout: 8_000, interval: 50 }).toBe(2);
    await settle(db, stack);

    // Both copies were delivered and answered SUCCESS; the second did nothing.
    expect(successes(EMAIL_ROUTE) - mailsBefore).toBe(2);
    expect(successes(RECURRING_ROUTE) - nextBefore).toBe(2);
    expect([...mailsById(stack.smtp)]).toEqual([[reminderMessageId(reminderId), 1]]);
    expect(await series(task.id)).toHaveLength(2);
  });

  it("duplicate + reorder over 30 reminders and 10 completions → each effect exactly once", async () => {
    stack.sidecar.faults.duplicate = true;
    stack.sidecar.faults.reorder = true;
    const stamp = Date.now();
    const reminders: string[] = [];
    for (let i = 0; i < 30; i++)
      reminders.push((await taskWithReminder(`Batch ${stamp} #${i}`, 1_500)).reminderId);
    const repeating: string[] = [];
    for (let i = 0; i < 10; i++) repeating.push((await completedDaily(`Daily ${stamp} #${i}`)).task.id);

    await expect.poll(() => mailsById(stack.smtp).size, { timeout: 15_000, interval: 100 }).toBe(30);
    await expect
      .poll(
        async () =>
          (
            await db.sql`select 1 from tasks where series_id = any(${repeating}::uuid[]) and id <> all(${repeating}::uuid[])`
          ).length,
        {
          timeout: 15_000,
          interval: 100,
        },
      )
      .toBe(10);
    await settle(db, stack);

    const mails = mailsById(stack.smtp);
    expect([...mails.keys()].sort()).toEqual(reminders.map(reminderMessageId).sort());
    expect([...mails.values()].filter((n) => n !== 1)).toEqual([]);
    expect(stack.smtp.received).toHaveLength(30);
    const perSeries = await db.sql<{ series_id: string; n: number }[]>`
      select series_id, count(*)::int as n from tasks where series_id = any(${repeating}::uuid[])
      group by series_id`;
    // Each series: the completed task (its own series id) and exactly one next one.
    expect(perSeries.map((r) => r.n)).toEqual(Array(10).fill(2));
    expect(deadLettered(stack.sidecar, "task-reminders")).toEqual([]);
    expect(deadLettered(stack.sidecar, "task-recurrence")).toEqual([]);
  });
});
