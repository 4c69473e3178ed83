/**
 * The recurring group's router behind the local sidecar, over real HTTP and real PostgreSQL: a
 * completion event published on task-recurrence comes back as exactly one next task, also when the
 * sidecar delivers everything twice (and in a different order).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCloudEvent } from "../../runtime/cloudevent.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { LocalSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import { type BehindSidecar, behindSidecar } from "../../test/support/behind-sidecar.js";
import { useTestDb } from "../../test/support/db.js";
import { completionEvents, lastCompletion, seriesOf } from "../../test/support/recurring-fixtures.js";
import { contextFor, eventsFor, insertUser } from "../../test/support/task-fixtures.js";
import type { DomainContext } from "../_shared/domain/context.js";
import { addTask } from "../_shared/domain/tasks.js";
import { completeTask, uncompleteTask } from "../_shared/domain/tasks-status.js";
import { CONSUMER } from "../_shared/recurring/next-task.js";

const db = useTestDb("recurring-e2e");

let stack: BehindSidecar | undefined;
let sidecar: LocalSidecar;
let client: DaprClient;
const metrics = new RuntimeMetrics();
const route = "/events/recurring/task-completed";
const successes = () => metrics.deliveries.get({ route, outcome: "success" });

beforeAll(async () => {
  const app = createApp({
    registry,
    groups: ["recurring"],
    sql: db.sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    metrics,
    lifecycle: new Lifecycle(),
  });
  stack = await behindSidecar(app, "recurring");
  ({ sidecar, client } = stack);
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  sidecar.faults.reset();
  sidecar.published.length = 0;
});

const deadLettered = () =>
  sidecar.published.filter((m) => m.topic === "task-recurrence-dlq").map((m) => JSON.parse(m.body).id);

async function completedTask(ctx: DomainContext, title: string) {
  const task = await addTask(ctx, {
    title,
    due_date: "2099-02-27T07:30",
    recurrence_rule: "FREQ=WEEKLY;BYDAY=FR",
  });
  await completeTask(ctx, task.id);
  return task;
}

describe("recurring group behind the local sidecar", () => {
  it("subscribes to task-recurrence with a dead-letter topic", () => {
    expect(sidecar.subscriptions()).toEqual([
      expect.objectContaining({
        pubsubname: "pubsub",
        topic: "task-recurrence",
        deadLetterTopic: "task-recurrence-dlq",
      }),
    ]);
  });

  it("a published completion creates the next task, with task.created in the outbox", async () => {
    const ctx = contextFor(db.sql, await insertUser(db.sql, { timeZone: "Europe/Berlin" }));
    const task = await completedTask(ctx, "Weekly review");
    await client.publish("pubsub", "task-recurrence", await lastCompletion(db.sql, task.id));
    await sidecar.idle();
    const series = await seriesOf(db.sql, task.id);
    expect(series.map((t) => t.due_at.toISOString())).toEqual([
      "2099-02-27T06:30:00.000Z",
      "2099-03-06T06:30:00.000Z",
    ]);
    const next = series[1]?.id ?? "";
    expect((await eventsFor(db.sql, next)).map((e) => [e.topic, e.type])).toEqual([
      ["task-events", "taskbeat.task.created.v1"],
    ]);
    expect(deadLettered()).toEqual([]);
  });

  it("duplicate + reorder mode: every completion event twice, complete → uncomplete → complete, one next task", async () => {
    sidecar.faults.duplicate = true;
    sidecar.faults.reorder = true;
    const ctx = contextFor(db.sql, await insertUser(db.sql));
    const task = await completedTask(ctx, "Flip-flop");
    await uncompleteTask(ctx, task.id);
    await completeTask(ctx, task.id);
    const events = await completionEvents(db.sql, task.id);
    expect(events).toHaveLength(2);
    const before = successes();
    for (const event of events) await client.publish("pubsub", "task-recurrence", event);
    await sidecar.idle();
    expect(successes() - before).toBe(4);
    expect(await seriesOf(db.sql, task.id)).toHaveLength(2);
    const ids = events.map((e) => e.id);
    const [inbox] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from processed_events where consumer = ${CONSUMER} and event_id = any(${ids})`;
    expect(inbox?.n).toBe(2);
    expect(deadLettered()).toEqual([]);
  });

  it("an event that is not a completed task is dropped to the dead-letter topic, not retried", async () => {
    const event = createCloudEvent({ type: "taskbeat.task.completed.v1", source: "test", data: { id: 42 } });
    await client.publish("pubsub", "task-recurrence", event);
    await sidecar.idle();
    expect(deadLettered()).toEqual([event.id]);
  });
});
