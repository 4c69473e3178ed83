/** Relay.kick(): coalesced, single-flight, and harmless after close. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { DaprClient } from "../dapr/client.js";
import { type LocalSidecar, startSidecar } from "../dev-sidecar/sidecar.js";
import { silentLogger } from "../log.js";
import { enqueueEvents } from "./enqueue.js";
import { Relay } from "./relay-runner.js";

const db = useTestDb("outbox-relay-runner");

let sidecar: LocalSidecar;
let dapr: DaprClient;
let inFlight = 0;
let maxInFlight = 0;
/** While set, publish requests wait for it: a run "in progress" for as long as a test needs. */
let gate: Promise<void> | undefined;

beforeEach(async () => {
  await db.sql`delete from outbox`;
  sidecar = await startSidecar({ log: silentLogger });
  dapr = new DaprClient({ baseUrl: sidecar.url, log: silentLogger });
  inFlight = 0;
  maxInFlight = 0;
  gate = undefined;
  // Counts publish requests in flight across all runs of the relay under test.
  const publishBulk = dapr.publishBulk.bind(dapr);
  dapr.publishBulk = async (...args) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await gate;
      return await publishBulk(...args);
    } finally {
      inFlight--;
    }
  };
});
afterEach(async () => {
  await sidecar.close();
});

const commit = (subject: string) =>
  db.sql.begin((tx) =>
    enqueueEvents(tx, [{ topic: "task-events", type: "taskbeat.test.v1", subject, data: {} }], undefined),
  );

const remaining = async () => (await db.sql<[{ n: number }]>`select count(*)::int as n from outbox`)[0].n;

describe("Relay", () => {
  it("coalesces a burst of kicks into one run", async () => {
    const relay = new Relay(db.sql, dapr, { log: silentLogger });
    for (let n = 0; n < 10; n++) await commit(`task-${n}`);
    // As ten transactions committing at once would.
    for (let n = 0; n < 10; n++) relay.kick();
    await relay.idle();
    expect(relay.stats).toMatchObject({ runs: 1, published: 10 });
    expect(sidecar.published).toHaveLength(10);
    expect(await remaining()).toBe(0);
  });

  it("runs one at a time: kicks during a run queue exactly one more, which takes the late rows", async () => {
    let open = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const relay = new Relay(db.sql, dapr, { log: silentLogger, debounceMs: 0 });
    await commit("first");
    relay.kick();
    await expect.poll(() => inFlight).toBe(1);
    // With PGlite's single session a commit would wait for the run's transaction, so there only kick.
    const late = db.embedded ? 0 : 20;
    for (let n = 0; n < 20; n++) {
      if (n < late) await commit(`late-${n}`);
      relay.kick();
    }
    open();
    await relay.idle();
    expect(maxInFlight).toBe(1);
    expect(relay.stats).toMatchObject({ runs: 2, published: 1 + late, failed: 0 });
    expect(await remaining()).toBe(0);
  });

  it("keeps rows when the sidecar refuses, without throwing to the committer", async () => {
    const relay = new Relay(db.sql, dapr, { log: silentLogger });
    sidecar.faults.failNextPublishes(1);
    await commit("task-1");
    relay.kick();
    await relay.idle();
    expect(relay.stats).toMatchObject({ runs: 1, published: 0, failed: 1 });
    expect(await remaining()).toBe(1);
    await relay.close();
  });

  it("publishes a refused row once its retry is due, without another commit or the backstop job", async () => {
    const relay = new Relay(db.sql, dapr, { log: silentLogger, retryInitialMs: 200 });
    sidecar.faults.failNextPublishes(1);
    await commit("task-1");
    relay.kick();
    await relay.idle();
    expect(relay.stats).toMatchObject({ published: 0, failed: 1 });
    await expect.poll(remaining, { timeout: 5_000, interval: 50 }).toBe(0);
    expect(relay.stats).toMatchObject({ published: 1, failed: 1 });
    await relay.close();
  });

  it("close runs a kick still waiting for its debounce", async () => {
    const relay = new Relay(db.sql, dapr, { log: silentLogger, debounceMs: 60_000 });
    await commit("task-1");
    relay.kick();
    await relay.close();
    expect(relay.stats).toMatchObject({ runs: 1, published: 1 });
    expect(await remaining()).toBe(0);
  });

  it("ignores kicks after close, and close waits for the run in progress", async () => {
    let open = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const relay = new Relay(db.sql, dapr, { log: silentLogger, debounceMs: 0 });
    await commit("task-1");
    relay.kick();
    await expect.poll(() => inFlight).toBe(1);
    const closed = relay.close();
    setTimeout(open, 50);
    await closed;
    expect(inFlight).toBe(0);
    expect(relay.stats.published).toBe(1);
    await commit("task-2");
    relay.kick();
    await relay.idle();
    expect(relay.stats.runs).toBe(1);
    expect(await remaining()).toBe(1);
  });
});
