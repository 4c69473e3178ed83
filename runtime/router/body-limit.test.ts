/**
 * Bounded input (issue 15 §5): topic and job routes read at most the cap (daprd's
 * http-max-request-size) and answer what daprd expects for a body over it, and a dropped event's log
 * line stays small however big the value that failed. Real HTTP, with the router built from the
 * contract fixture units.
 */
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jobRuns, reset, seen } from "../../test/fixtures/contract/functions/shop/_behaviour.js";
import { type Served, serveApp } from "../../test/support/http.js";
import type { DaprClient } from "../dapr/client.js";
import { buildRegistry } from "../gen/render-registry.js";
import { scanFunctions } from "../gen/scan.js";
import { createLogger } from "../log.js";
import { RuntimeMetrics } from "../metrics.js";
import { subscriptionRoute } from "../registry.js";
import { createApp } from "./app.js";
import { Lifecycle } from "./lifecycle.js";

const fixture = fileURLToPath(new URL("../../test/fixtures/contract/functions", import.meta.url));
const registry = buildRegistry(await scanFunctions(fixture));
const unused = new Proxy({}, { get: () => expect.unreachable("not used by these handlers") });

const CAP = 64 * 1024;
const lines: string[] = [];
let served: Served;

beforeAll(async () => {
  served = await serveApp(
    createApp({
      registry,
      groups: ["shop"],
      sql: unused as Sql,
      dapr: unused as DaprClient,
      log: createLogger({ write: (line) => lines.push(line) }),
      metrics: new RuntimeMetrics(),
      lifecycle: new Lifecycle(),
      maxRequestBodyBytes: CAP,
    }),
  );
});
afterAll(() => served.close());
beforeEach(() => {
  reset();
  lines.length = 0;
});

const envelope = (data: unknown, id = "ev-1") =>
  JSON.stringify({
    id,
    source: "checkout",
    type: "shop.order.created.v1",
    specversion: "1.0",
    datacontenttype: "application/json",
    data,
  });
const single = { "content-type": "application/cloudevents+json", pubsubname: "pubsub" };

/** A request body that yields `total` bytes in 64 KiB chunks, counting what the server pulled. */
function countingStream(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      pulled.bytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled };
}

describe("topic routes cap the body (daprd's http-max-request-size)", () => {
  it("a single delivery over the cap (Content-Length) → 200 DROP, unread, the handler never runs", async () => {
    const body = envelope({ orderId: "x".repeat(CAP), amount: 1 });
    const response = await fetch(`${served.url}${subscriptionRoute("shop", "orders")}`, {
      method: "POST",
      headers: { ...single, __topic: "orders", __partition: "3", __offset: "42" },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "DROP" });
    expect(seen).toEqual([]);
    const logged = lines.map((line) => JSON.parse(line)).find((l) => l.limitBytes === CAP);
    expect(logged).toMatchObject({ level: "warn", sizeBytes: body.length, __offset: "42", __partition: "3" });
    expect(logged.excerpt.length).toBeLessThanOrEqual(256);
    expect(lines.every((line) => line.length < 2_000)).toBe(true);
  });

  it("a chunked delivery is read only up to the cap, then dropped", async () => {
    const { stream, pulled } = countingStream(64 * 1024 * 1024);
    const response = await fetch(`${served.url}${subscriptionRoute("shop", "orders")}`, {
      method: "POST",
      headers: single,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(await response.json()).toEqual({ status: "DROP" });
    // The server stopped reading after the cap; the client may have buffered a little ahead.
    expect(pulled.bytes).toBeLessThan(8 * 1024 * 1024);
    expect(seen).toEqual([]);
  });

  it("a delivery at the cap is handled", async () => {
    const body = envelope({ orderId: "o-1", amount: 2 });
    const response = await fetch(`${served.url}${subscriptionRoute("shop", "orders")}`, {
      method: "POST",
      headers: single,
      body: body.padEnd(CAP, " "),
    });
    expect(await response.json()).toEqual({ status: "SUCCESS" });
    expect(seen).toHaveLength(1);
  });

  it("a bulk route takes maxMessages × the cap, and answers 404 (drop the batch) beyond", async () => {
    const path = subscriptionRoute("shop", "anything");
    const entry = (id: string, data: unknown) => ({
      entryId: id,
      event: JSON.parse(envelope(data, `e${id}`)),
      contentType: "application/cloudevents+json",
      metadata: {},
    });
    const headers = { "content-type": "application/json", pubsubname: "pubsub" };
    // Two entries of nearly the cap each: over one cap, within the route's 10 × cap.
    const fits = JSON.stringify({
      entries: [entry("0", "a".repeat(CAP - 500)), entry("1", "b".repeat(CAP - 500))],
    });
    const ok = await fetch(`${served.url}${path}`, { method: "POST", headers, body: fits });
    expect(await ok.json()).toEqual({
      statuses: [
        { entryId: "0", status: "SUCCESS" },
        { entryId: "1", status: "SUCCESS" },
      ],
    });
    const tooBig = JSON.stringify({ entries: [entry("0", "c".repeat(11 * CAP))] });
    const refused = await fetch(`${served.url}${path}`, { method: "POST", headers, body: tooBig });
    expect(refused.status).toBe(404);
  });
});

describe("job routes cap the body", () => {
  it("a job callback over the cap → 413 (a failure to daprd, bounded by the job's policy), never run", async () => {
    const response = await fetch(`${served.url}/job/tick`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ batch: 1, pad: "p".repeat(CAP) }),
    });
    expect(response.status).toBe(413);
    expect(jobRuns).toEqual([]);
  });
});

describe("a dropped event's log is bounded", () => {
  it("logs ids, type, size and an excerpt, not the value that failed the schema", async () => {
    const huge = "z".repeat(CAP - 1_000);
    const response = await fetch(`${served.url}${subscriptionRoute("shop", "orders")}`, {
      method: "POST",
      headers: single,
      body: envelope({ orderId: 7, amount: huge }, "ev-huge"),
    });
    expect(await response.json()).toEqual({ status: "DROP" });
    const line = lines.find((l) => l.includes("dropping message")) ?? "";
    expect(line.length).toBeLessThan(2_000);
    const logged = JSON.parse(line);
    expect(logged).toMatchObject({ eventId: "ev-huge", eventType: "shop.order.created.v1" });
    expect(logged.details.dataBytes).toBeGreaterThan(CAP - 1_000);
    expect(logged.details.dataExcerpt).toContain('"orderId":7');
    expect(logged.details.issues.join("\n")).toMatch(/orderId/);
  });
});
