import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { deliver, handlerContext, lastCompletion, seriesOf } from "../../test/support/recurring-fixtures.js";
import { contextFor, insertUser } from "../../test/support/task-fixtures.js";
import { addTask } from "../_shared/domain/tasks.js";
import { completeTask } from "../_shared/domain/tasks-status.js";
import job from "./repair-recurrences.job.js";

const db = useTestDb("recurring-repair");

const run = () =>
  job.handle(undefined as never, { ...handlerContext(db.sql), job: { name: "repair-recurrences" } });

/** A daily task completed an hour ago whose task.completed event never reached the handler. */
async function lostCompletion(title: string) {
  const ctx = contextFor(db.sql, await insertUser(db.sql));
  const task = await addTask(ctx, { title, due_date: "2099-03-10T09:00", recurrence_rule: "every day" });
  await completeTask(ctx, task.id);
  const event = await lastCompletion(db.sql, task.id);
  // Lost: published and dead-lettered, so it is no longer in the outbox; completed an hour ago.
  await db.sql`delete from outbox where id = ${event.id}`;
  await db.sql`update tasks set completed_at = now() - interval '1 hour' where id = ${task.id}`;
  return { task, event };
}

describe("repair-recurrences", () => {
  it("creates the next occurrence of a completed repeating task whose event was lost, once", async () => {
    const { task } = await lostCompletion("Stretch");
    await run();
    const series = await seriesOf(db.sql, task.id);
    expect(series.map((t) => t.due_at.toISOString())).toEqual([
      "2099-03-10T09:00:00.000Z",
      "2099-03-11T09:00:00.000Z",
    ]);
    // Its task.created is in the outbox, as the handler would have written it.
    const [created] = await db.sql`
      select 1 from outbox where partition_key = ${series[1]?.id ?? ""} and event->>'type' = 'taskbeat.task.created.v1'`;
    expect(created).toBeDefined();
    await run();
    expect(await seriesOf(db.sql, task.id)).toHaveLength(2);
  });

  it("the lost event arriving after all (a replayed dead letter) creates nothing more", async () => {
    const { task, event } = await lostCompletion("Read");
    await run();
    expect(await seriesOf(db.sql, task.id)).toHaveLength(2);
    expect(await deliver(db.sql, event)).toBe("SUCCESS");
    expect(await seriesOf(db.sql, task.id)).toHaveLength(2);
  });

  it("leaves alone a completion still on its way: recent, or its event still in the outbox", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const recent = await addTask(ctx, {
      title: "Recent",
      due_date: "2099-03-10T09:00",
      recurrence_rule: "every day",
    });
    await completeTask(ctx, recent.id);
    const queued = await addTask(ctx, {
      title: "Queued",
      due_date: "2099-03-10T09:00",
      recurrence_rule: "every day",
    });
    await completeTask(ctx, queued.id);
    await db.sql`update tasks set completed_at = now() - interval '1 hour' where id = ${queued.id}`;
    await run();
    expect(await seriesOf(db.sql, recent.id)).toHaveLength(1);
    expect(await seriesOf(db.sql, queued.id)).toHaveLength(1);
  });
});
