/**
 * The router while shutting down, and `/readyz`: what daprd and the kubelet see during a rollout.
 */
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { type Served, serveApp } from "../../test/support/http.js";
import type { DaprClient } from "../dapr/client.js";
import { buildRegistry } from "../gen/render-registry.js";
import { scanFunctions } from "../gen/scan.js";
import { silentLogger } from "../log.js";
import { RuntimeMetrics } from "../metrics.js";
import { createApp } from "./app.js";
import type { ReadinessCheck } from "./health.js";
import { Lifecycle } from "./lifecycle.js";

const fixture = fileURLToPath(new URL("../../test/fixtures/contract/functions", import.meta.url));
const registry = buildRegistry(await scanFunctions(fixture));
const unused = new Proxy({}, { get: () => expect.unreachable("not used by these handlers") });

let served: Served | undefined;
afterEach(() => served?.close());

async function start(readiness: ReadinessCheck[] = []) {
  const lifecycle = new Lifecycle();
  const app = createApp({
    registry,
    groups: ["shop"],
    sql: unused as Sql,
    dapr: unused as DaprClient,
    log: silentLogger,
    metrics: new RuntimeMetrics(),
    lifecycle,
    readiness,
  });
  served = await serveApp(app);
  return { lifecycle, url: served.url };
}

const event = (id: string, data: unknown) =>
  ({ id, source: "test", type: "shop.order.created.v1", specversion: "1.0", data }) as const;
const post = (url: string, path: string, body: unknown, contentType = "application/cloudevents+json") =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: JSON.stringify(body),
  });

describe("while draining", () => {
  it("keeps handling deliveries daprd already sent, refuses new job ticks, and reports not ready", async () => {
    const { lifecycle, url } = await start();
    // Something in flight keeps the drain going.
    let release!: () => void;
    void lifecycle.track(() => new Promise<void>((resolve) => (release = resolve)));
    const draining = lifecycle.drain(10_000);

    const delivery = await post(url, "/events/shop/anything", event("e1", 1));
    expect(await delivery.json()).toEqual({ status: "SUCCESS" });
    expect((await post(url, "/job/tick", {}, "application/json")).status).toBe(503);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "draining" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    release();
    expect(await draining).toBe(true);
  });

  it("past the grace period hands every message back: RETRY, or RETRY for each bulk entry", async () => {
    const { lifecycle, url } = await start();
    void lifecycle.track(() => new Promise<void>(() => {}));
    expect(await lifecycle.drain(10)).toBe(false);

    expect(await (await post(url, "/events/shop/anything", event("e1", 1))).json()).toEqual({
      status: "RETRY",
    });
    const bulk = {
      id: "b",
      type: "com.dapr.event.sent.bulk",
      entries: ["0", "1"].map((entryId) => ({
        entryId,
        event: event(`e${entryId}`, 1),
        contentType: "application/cloudevents+json",
      })),
    };
    expect(await (await post(url, "/events/shop/anything", bulk, "application/json")).json()).toEqual({
      statuses: [
        { entryId: "0", status: "RETRY" },
        { entryId: "1", status: "RETRY" },
      ],
    });
  });
});

describe("/readyz", () => {
  it("is 200 with every check's result when all pass, including the details a check reports", async () => {
    const { url } = await start([
      { name: "sidecar", check: async () => true },
      { name: "last-run", check: async () => ({ ok: true, at: "2026-11-26T10:00:00.000Z", claimed: 3 }) },
    ]);
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      checks: { sidecar: { ok: true }, "last-run": { ok: true, at: "2026-11-26T10:00:00.000Z", claimed: 3 } },
    });
  });

  it("is 503 when a check fails or throws, naming which", async () => {
    const { url } = await start([
      { name: "sidecar", check: async () => false },
      {
        name: "database",
        check: async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        },
      },
      { name: "other", check: async () => true },
    ]);
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: "not ready",
      checks: { sidecar: { ok: false }, database: { ok: false }, other: { ok: true } },
    });
    expect(text).not.toContain("ECONNREFUSED");
  });
});
