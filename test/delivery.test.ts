/**
 * The generated router behind the local sidecar, end to end over real HTTP: what the router
 * answers and what the sidecar then does with it (retry, dead-letter, duplicates, bulk).
 */
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCloudEvent } from "../runtime/cloudevent.js";
import type { DaprClient } from "../runtime/dapr/client.js";
import type { LocalSidecar } from "../runtime/dev-sidecar/sidecar.js";
import { buildRegistry } from "../runtime/gen/render-registry.js";
import { scanFunctions } from "../runtime/gen/scan.js";
import { silentLogger } from "../runtime/log.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import { createApp } from "../runtime/router/app.js";
import { Lifecycle } from "../runtime/router/lifecycle.js";
import { behaviour, reset, seen } from "./fixtures/contract/functions/shop/_behaviour.js";
import { type BehindSidecar, behindSidecar } from "./support/behind-sidecar.js";

const fixture = fileURLToPath(new URL("./fixtures/contract/functions", import.meta.url));

let stack: BehindSidecar | undefined;
let sidecar: LocalSidecar;
let client: DaprClient;

beforeAll(async () => {
  const registry = buildRegistry(await scanFunctions(fixture));
  const app = createApp({
    registry,
    groups: ["shop"],
    sql: {} as Sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    metrics: new RuntimeMetrics(),
    lifecycle: new Lifecycle(),
  });
  stack = await behindSidecar(app, "shop");
  ({ sidecar, client } = stack);
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  reset();
  sidecar.faults.reset();
  sidecar.published.length = 0;
});

const order = (data: unknown = { orderId: "o-1", amount: 3 }) =>
  createCloudEvent({ type: "shop.order.created.v1", source: "test", subject: "o-1", data });
const dlq = (topic: string) =>
  sidecar.published.filter((m) => m.topic === topic).map((m) => JSON.parse(m.body).id);

describe("router behind the local sidecar", () => {
  it("a handler that fails once is retried and succeeds; nothing is dead-lettered", async () => {
    behaviour.next = "throw-once";
    const event = order();
    await client.publish("pubsub", "orders", event);
    await sidecar.idle();
    expect(seen.map((s) => s.event.id)).toEqual([event.id, event.id]);
    expect(dlq("orders-dlq")).toEqual([]);
  });

  it("invalid data is dropped at once and lands on the dead-letter topic, never retried", async () => {
    const event = order({ orderId: 42 });
    await client.publish("pubsub", "orders", event);
    await sidecar.idle();
    expect(seen).toEqual([]);
    expect(dlq("orders-dlq")).toEqual([event.id]);
  });

  it("a handler that keeps failing is retried per policy, then dead-lettered with its original id", async () => {
    behaviour.next = "throw";
    const event = order();
    await client.publish("pubsub", "orders", event);
    await sidecar.idle();
    expect(seen).toHaveLength(3);
    expect(dlq("orders-dlq")).toEqual([event.id]);
  });

  it("in duplicate mode the handler sees the same event id twice: handlers must de-duplicate on it", async () => {
    sidecar.faults.duplicate = true;
    const event = order();
    await client.publish("pubsub", "orders", event);
    await sidecar.idle();
    expect(seen.map((s) => s.event.id)).toEqual([event.id, event.id]);
  });

  it("bulk: good entries succeed once, a failing entry is retried alone, then dead-lettered", async () => {
    const events = ["a", "fail", "b"].map((data) => createCloudEvent({ type: "t", source: "test", data }));
    const { failed } = await client.publishBulk(
      "pubsub",
      "anything",
      events.map((event) => ({ event })),
    );
    expect(failed).toEqual([]);
    await sidecar.idle();
    const count = (id: string) => seen.filter((s) => s.event.id === id).length;
    expect(count(events[0]?.id ?? "")).toBe(1);
    expect(count(events[2]?.id ?? "")).toBe(1);
    expect(count(events[1]?.id ?? "")).toBe(3);
    expect(dlq("anything-dlq")).toEqual([events[1]?.id]);
  });
});
