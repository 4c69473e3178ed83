import { afterEach, describe, expect, it } from "vitest";
import { closeAll, cloudEvent, harness } from "../../test/support/fixture-app.js";

afterEach(closeAll);

const scheduleJob = (url: string, body: unknown) =>
  fetch(`${url}/v1.0-alpha1/jobs/retrying`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function timeClose(close: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await close();
  return Date.now() - started;
}

describe("close()", () => {
  it("returns at once when a job is only waiting out its retry interval", async () => {
    const { app, sidecar } = await harness({ respond: () => ({ status: 500 }) });
    const policy = { constant: { interval: "10s", maxRetries: 3 } };
    expect((await scheduleJob(sidecar.url, { dueTime: "0s", failurePolicy: policy })).status).toBe(204);
    await app.waitFor((r) => r.length >= 1);
    // Now sleeping 10 s before the first retry; nothing is in flight.
    expect(await timeClose(() => sidecar.close())).toBeLessThan(1000);
    expect(app.received).toHaveLength(1);
  });

  it("still waits for a job call in flight", async () => {
    const { app, sidecar } = await harness({
      respond: () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 300)),
    });
    expect((await scheduleJob(sidecar.url, { dueTime: "0s" })).status).toBe(204);
    await app.waitFor((r) => r.length >= 1);
    expect(await timeClose(() => sidecar.close())).toBeGreaterThanOrEqual(200);
  });

  it("returns at once when a partition is only held by a delivery waiting for its retry", async () => {
    const { app, sidecar, publish } = await harness(
      {
        subscriptions: [{ pubsubname: "pubsub", topic: "orders", route: "/orders" }],
        respond: () => ({ status: 500 }),
      },
      { retry: { maxAttempts: 3, initialIntervalMs: 10_000, maxIntervalMs: 10_000 } },
    );
    expect((await publish("orders", cloudEvent("a"))).status).toBe(204);
    await app.waitFor((r) => r.length >= 1);
    expect(await timeClose(() => sidecar.close())).toBeLessThan(1000);
    expect(app.received).toHaveLength(1);
  });

  it("still waits for a delivery in flight", async () => {
    let answered = false;
    const { app, sidecar, publish } = await harness({
      subscriptions: [{ pubsubname: "pubsub", topic: "orders", route: "/orders" }],
      respond: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            answered = true;
            resolve({ status: 200 });
          }, 300),
        ),
    });
    expect((await publish("orders", cloudEvent("a"))).status).toBe(204);
    await app.waitFor((r) => r.length >= 1);
    await sidecar.close();
    expect(answered).toBe(true);
  });
});
