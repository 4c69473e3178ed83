import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { bodyOf, closeAll, cloudEvent, harness, track } from "../../test/support/fixture-app.js";
import { createLogger, silentLogger } from "../log.js";
import { startSidecar } from "./sidecar.js";

afterEach(closeAll);

const sub = { pubsubname: "pubsub", topic: "orders", route: "/orders" };

async function bulkPublish(url: string, ids: string[]) {
  const entries = ids.map((id) => ({
    entryId: id,
    event: cloudEvent(id),
    contentType: "application/cloudevents+json",
  }));
  const res = await fetch(`${url}/v1.0-alpha1/publish/bulk/pubsub/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entries),
  });
  expect(res.status).toBe(204);
}

describe("delivery faults", () => {
  it("duplicate: each subscription gets every message twice", async () => {
    const { app, sidecar, publish } = await harness({
      subscriptions: [sub, { ...sub, route: "/orders-2" }],
    });
    sidecar.faults.duplicate = true;
    await publish("orders", cloudEvent("a"));
    await publish("orders", cloudEvent("b"));
    await sidecar.idle();
    for (const path of ["/orders", "/orders-2"]) {
      const ids = app.received.filter((r) => r.path === path).map((r) => bodyOf(r).id);
      expect(ids.sort()).toEqual(["a", "a", "b", "b"]);
    }
    expect(sidecar.published).toHaveLength(2);
  });

  it("reorder: everything is delivered, not in publish order", async () => {
    const { app, sidecar } = await harness({ subscriptions: [sub] }, { concurrency: 1 });
    const ids = Array.from({ length: 8 }, (_, i) => `m${i}`);
    // Without the fault, concurrency 1 delivers in publish order.
    await bulkPublish(sidecar.url, ids);
    await sidecar.idle();
    expect(app.received.map((r) => bodyOf(r).id)).toEqual(ids);

    app.received.length = 0;
    sidecar.faults.reorder = true;
    await bulkPublish(sidecar.url, ids);
    await sidecar.idle();
    const delivered = app.received.map((r) => bodyOf(r).id);
    expect([...delivered].sort()).toEqual(ids);
    expect(delivered).not.toEqual(ids);
  });

  it("latencyMs delays API answers and deliveries", async () => {
    const { app, sidecar, publish } = await harness({ subscriptions: [sub] });
    sidecar.faults.latencyMs = 80;
    const start = Date.now();
    await publish("orders", cloudEvent("a"));
    expect(Date.now() - start).toBeGreaterThanOrEqual(79);
    await sidecar.idle();
    expect((app.received[0]?.at ?? 0) - start).toBeGreaterThanOrEqual(159);
  });
});

describe("publish and availability faults", () => {
  it("failNextPublishes: the next n publishes fail without storing anything", async () => {
    const sidecar = track(await startSidecar({ log: silentLogger }));
    const publish = () =>
      fetch(`${sidecar.url}/v1.0/publish/pubsub/orders`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify(cloudEvent("a")),
      });
    sidecar.faults.failNextPublishes(2);
    for (let i = 0; i < 2; i++) {
      const res = await publish();
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE" });
    }
    expect(sidecar.published).toEqual([]);
    expect((await publish()).status).toBe(204);
    sidecar.faults.failNextPublishes(1, 503);
    expect((await publish()).status).toBe(503);
    expect(sidecar.published).toHaveLength(1);
  });

  it("unreachableFor: connections are refused during the outage, accepted after it", async () => {
    const sidecar = track(await startSidecar({ log: silentLogger }));
    const outbound = `${sidecar.url}/v1.0/healthz/outbound`;
    expect((await fetch(outbound)).status).toBe(204); // leaves a pooled keep-alive connection
    const back = sidecar.faults.unreachableFor(300);
    const error = await fetch(outbound).then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(error?.cause?.code).toBe("ECONNREFUSED");
    await back;
    const res = await fetch(outbound);
    expect(res.status).toBe(204);
    expect(new URL(sidecar.url).port).toBe(String(sidecar.port));
  });
});

describe("fault endpoint /v1.0-dev/faults", () => {
  it("reads, sets and resets faults over HTTP, behind the API token", async () => {
    const sidecar = track(await startSidecar({ log: silentLogger, apiToken: "t" }));
    const call = (method: string, body?: unknown, token = "t") =>
      fetch(`${sidecar.url}/v1.0-dev/faults`, {
        method,
        headers: { "dapr-api-token": token },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await call("GET", undefined, "wrong")).status).toBe(401);
    const set = await call("POST", {
      duplicate: true,
      reorder: true,
      latencyMs: 5,
      failNextPublishes: 2,
      failStatus: 503,
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      duplicate: true,
      reorder: true,
      latencyMs: 5,
      pendingPublishFailures: 2,
      failStatus: 503,
    });
    expect(sidecar.faults).toMatchObject({ duplicate: true, reorder: true, latencyMs: 5 });
    expect((await call("POST", { latencyMs: -1 })).status).toBe(400);
    expect((await call("POST", "nope")).status).toBe(400);
    const reset = await call("DELETE");
    expect(await reset.json()).toMatchObject({
      duplicate: false,
      reorder: false,
      latencyMs: 0,
      pendingPublishFailures: 0,
    });
  });

  it("unreachableForMs answers first, then refuses connections", async () => {
    const sidecar = track(await startSidecar({ log: silentLogger }));
    const res = await fetch(`${sidecar.url}/v1.0-dev/faults`, {
      method: "POST",
      body: '{"unreachableForMs":300}',
    });
    expect(res.status).toBe(200);
    await expect(fetch(`${sidecar.url}/v1.0/healthz/outbound`)).rejects.toThrow();
    await sidecar.faults.unreachableFor(0); // joins the running outage
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);
  });

  it("logs, rather than crashes on, a port that cannot be taken back after unreachableForMs", async () => {
    const lines: string[] = [];
    const sidecar = track(await startSidecar({ log: createLogger({ write: (line) => lines.push(line) }) }));
    const res = await fetch(`${sidecar.url}/v1.0-dev/faults`, {
      method: "POST",
      body: '{"unreachableForMs":50}',
    });
    expect(res.status).toBe(200);
    // Take the port while it is down; the sidecar's re-listen then fails after its retries (~1 s).
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(sidecar.port, "127.0.0.1", resolve));
    try {
      const failed = () => lines.some((line) => line.includes("could not listen again"));
      for (let waited = 0; !failed() && waited < 5000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(failed()).toBe(true);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
