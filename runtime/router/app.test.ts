/**
 * Contract tests: send what daprd sends (headers and bytes, contract §3.1, §4, §5.3) to the router
 * over real HTTP, and assert the answer daprd needs (§3.4, §4, §5.3).
 */
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { behaviour, jobRuns, reset, seen } from "../../test/fixtures/contract/functions/shop/_behaviour.js";
import { type Served, serveApp } from "../../test/support/http.js";
import type { DaprClient } from "../dapr/client.js";
import { buildRegistry } from "../gen/render-registry.js";
import { scanFunctions } from "../gen/scan.js";
import { silentLogger } from "../log.js";
import { RuntimeMetrics } from "../metrics.js";
import type { Registry } from "../registry.js";
import { subscriptionRoute } from "../registry.js";
import { createApp } from "./app.js";
import { Lifecycle } from "./lifecycle.js";

// The router under test is built the way the generator builds it: from unit files on disk.
const fixture = fileURLToPath(new URL("../../test/fixtures/contract/functions", import.meta.url));
const registry: Registry = buildRegistry(await scanFunctions(fixture));

// Deliveries and jobs here never reach the database or the sidecar.
const unused = new Proxy({}, { get: () => expect.unreachable("not used by these handlers") });

function start(options: { appApiToken?: string; metrics?: RuntimeMetrics } = {}) {
  return serveApp(
    createApp({
      registry,
      groups: ["shop"],
      sql: unused as Sql,
      dapr: unused as DaprClient,
      log: silentLogger,
      metrics: options.metrics ?? new RuntimeMetrics(),
      lifecycle: new Lifecycle(),
      ...(options.appApiToken ? { appApiToken: options.appApiToken } : {}),
    }),
  );
}

const envelope = (overrides: Record<string, unknown> = {}) => ({
  id: "5d3b5a9e-0c1f-4a57-9a0b-2b1f0c7e9d11",
  source: "checkout",
  type: "shop.order.created.v1",
  specversion: "1.0",
  datacontenttype: "application/json",
  subject: "order-1",
  time: "2026-11-26T10:00:00Z",
  topic: "orders",
  pubsubname: "pubsub",
  traceid: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  tracestate: "",
  data: { orderId: "o-1", amount: 12.5 },
  ...overrides,
});

// The headers daprd sets on a single delivery (contract §3.1).
const deliveryHeaders = {
  "content-type": "application/cloudevents+json",
  pubsubname: "pubsub",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
};

let served: Served;
beforeAll(async () => {
  served = await start();
});
afterAll(() => served.close());
beforeEach(reset);

async function deliver(
  body: string,
  path = subscriptionRoute("shop", "orders"),
  headers: Record<string, string> = deliveryHeaders,
) {
  const response = await fetch(`${served.url}${path}`, { method: "POST", headers, body });
  return { status: response.status, body: await response.json() };
}

describe("GET /dapr/subscribe", () => {
  it("lists every topic handler of the group, sorted by name, with its route, dead-letter topic and bulk settings", async () => {
    const response = await fetch(`${served.url}/dapr/subscribe`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      {
        pubsubname: "pubsub",
        topic: "anything",
        routes: { default: "/events/shop/anything" },
        deadLetterTopic: "anything-dlq",
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 1000 },
      },
      {
        pubsubname: "pubsub",
        topic: "orders",
        routes: { default: "/events/shop/orders" },
        deadLetterTopic: "orders-dlq",
      },
      {
        pubsubname: "pubsub",
        topic: "parsed",
        routes: { default: "/events/shop/parsed" },
        deadLetterTopic: "parsed-dlq",
      },
    ]);
  });
});

describe("single delivery (contract §3.4)", () => {
  it("a valid event → 200 SUCCESS, and the handler sees data and the full envelope", async () => {
    const result = await deliver(JSON.stringify(envelope()));
    expect(result).toEqual({ status: 200, body: { status: "SUCCESS" } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.data).toEqual({ orderId: "o-1", amount: 12.5 });
    expect(seen[0]?.event).toMatchObject({
      id: "5d3b5a9e-0c1f-4a57-9a0b-2b1f0c7e9d11",
      type: "shop.order.created.v1",
      source: "checkout",
      subject: "order-1",
      time: "2026-11-26T10:00:00Z",
      topic: "orders",
      pubsubname: "pubsub",
      // The callback span daprd sends in the header wins over the publisher's.
      traceparent: deliveryHeaders.traceparent,
    });
  });

  it("data failing the schema → 200 DROP, never 400 (Dapr would retry a 400 forever)", async () => {
    const result = await deliver(JSON.stringify(envelope({ data: { orderId: 7 } })));
    expect(result).toEqual({ status: 200, body: { status: "DROP" } });
    expect(seen).toHaveLength(0);
  });

  it("an unknown CloudEvent type → DROP", async () => {
    const result = await deliver(JSON.stringify(envelope({ type: "shop.order.exploded.v9" })));
    expect(result.body).toEqual({ status: "DROP" });
    expect(seen).toHaveLength(0);
  });

  it("a body that is not a CloudEvent (no id) → DROP", async () => {
    const { id: _id, ...withoutId } = envelope();
    expect((await deliver(JSON.stringify(withoutId))).body).toEqual({ status: "DROP" });
  });

  it("a body that is not JSON → DROP", async () => {
    expect(await deliver("{not json")).toEqual({ status: 200, body: { status: "DROP" } });
  });

  it("a JSON array or scalar body → DROP", async () => {
    expect((await deliver("[1,2]")).body).toEqual({ status: "DROP" });
    expect((await deliver("42")).body).toEqual({ status: "DROP" });
  });

  it("a handler that throws → RETRY, never SUCCESS (the js-sdk acks and loses it)", async () => {
    behaviour.next = "throw";
    expect(await deliver(JSON.stringify(envelope()))).toEqual({ status: 200, body: { status: "RETRY" } });
  });

  it("RetryLater → RETRY", async () => {
    behaviour.next = "retry-later";
    expect((await deliver(JSON.stringify(envelope()))).body).toEqual({ status: "RETRY" });
  });

  it("a schema that throws while validating → DROP, not an error answer", async () => {
    const route = subscriptionRoute("shop", "parsed");
    expect((await deliver(JSON.stringify(envelope({ data: '{"ok":1}' })), route)).body).toEqual({
      status: "SUCCESS",
    });
    expect(seen[0]?.data).toEqual({ ok: 1 });
    expect(await deliver(JSON.stringify(envelope({ data: "{nope" })), route)).toEqual({
      status: 200,
      body: { status: "DROP" },
    });
  });

  it("DropMessage → DROP", async () => {
    behaviour.next = "drop";
    expect((await deliver(JSON.stringify(envelope()))).body).toEqual({ status: "DROP" });
  });

  it("data_base64 holding JSON is decoded for the schema", async () => {
    const { data: _data, ...rest } = envelope();
    const data_base64 = Buffer.from(JSON.stringify({ orderId: "o-2", amount: 1 })).toString("base64");
    expect((await deliver(JSON.stringify({ ...rest, data_base64 }))).body).toEqual({ status: "SUCCESS" });
    expect(seen[0]?.data).toEqual({ orderId: "o-2", amount: 1 });
  });

  it.each([0, false, "", null])(
    "falsy data %j reaches the handler as itself, not as the envelope",
    async (data) => {
      const result = await deliver(JSON.stringify(envelope({ data })), subscriptionRoute("shop", "anything"));
      expect(result.body).toEqual({ status: "SUCCESS" });
      expect(seen[0]?.data).toBe(data);
    },
  );

  it("answers status strings in Dapr's exact upper case", async () => {
    const response = await fetch(`${served.url}${subscriptionRoute("shop", "orders")}`, {
      method: "POST",
      headers: deliveryHeaders,
      body: JSON.stringify(envelope()),
    });
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe('{"status":"SUCCESS"}');
  });
});

describe("bulk delivery (contract §4)", () => {
  const bulkHeaders = { "content-type": "application/json", pubsubname: "pubsub" };
  const bulk = (entries: Array<{ entryId: string; event: unknown; contentType?: string }>) =>
    JSON.stringify({
      id: "b0a3a1f2-1111-4c3b-9a0b-000000000001",
      type: "com.dapr.event.sent.bulk",
      topic: "anything",
      pubsubname: "pubsub",
      metadata: { pubsubName: "pubsub" },
      entries: entries.map((entry) => ({
        contentType: "application/cloudevents+json",
        metadata: {},
        ...entry,
      })),
    });

  it("answers a status for every entryId: SUCCESS, DROP and RETRY side by side", async () => {
    const body = bulk([
      { entryId: "0", event: envelope({ id: "e0", data: "fine" }) },
      { entryId: "1", event: { not: "a cloudevent" } },
      { entryId: "2", event: envelope({ id: "e2", data: "fail" }) },
      { entryId: "3", event: "cmF3", contentType: "application/octet-stream" },
      { entryId: "4", event: envelope({ id: "e4", data: { n: 4 } }) },
    ]);
    const result = await deliver(body, subscriptionRoute("shop", "anything"), bulkHeaders);
    expect(result).toEqual({
      status: 200,
      body: {
        statuses: [
          { entryId: "0", status: "SUCCESS" },
          { entryId: "1", status: "DROP" },
          { entryId: "2", status: "RETRY" },
          { entryId: "3", status: "DROP" },
          { entryId: "4", status: "SUCCESS" },
        ],
      },
    });
    expect(seen.map((s) => s.event.id)).toEqual(["e0", "e2", "e4"]);
  });

  it("runs each entry in its own event's trace, not the batch's header span", async () => {
    const own = (trace: string) => `00-${trace}-b7ad6b7169203331-01`;
    const body = bulk([
      { entryId: "0", event: envelope({ id: "t0", traceparent: own("11111111111111111111111111111111") }) },
      { entryId: "1", event: envelope({ id: "t1", traceparent: own("22222222222222222222222222222222") }) },
    ]);
    const headers = { ...bulkHeaders, traceparent: deliveryHeaders.traceparent };
    await deliver(body, subscriptionRoute("shop", "anything"), headers);
    expect(seen.map((s) => s.event.traceparent)).toEqual([
      own("11111111111111111111111111111111"),
      own("22222222222222222222222222222222"),
    ]);
  });

  it("never answers a bulk request with a top-level status (daprd would retry every entry)", async () => {
    const body = bulk([{ entryId: "a", event: envelope({ id: "ea", data: 1 }) }]);
    const result = await deliver(body, subscriptionRoute("shop", "anything"), bulkHeaders);
    expect(result.body).not.toHaveProperty("status");
    expect(result.body).toEqual({ statuses: [{ entryId: "a", status: "SUCCESS" }] });
  });

  it("validates bulk entries against the handler's schema and types", async () => {
    const body = bulk([
      { entryId: "0", event: envelope({ id: "x0" }) },
      { entryId: "1", event: envelope({ id: "x1", data: { orderId: 1 } }) },
      { entryId: "2", event: envelope({ id: "x2", type: "other" }) },
    ]);
    const result = await deliver(body, subscriptionRoute("shop", "orders"), bulkHeaders);
    expect(result.body).toEqual({
      statuses: [
        { entryId: "0", status: "SUCCESS" },
        { entryId: "1", status: "DROP" },
        { entryId: "2", status: "DROP" },
      ],
    });
  });

  it("an empty batch answers an empty statuses list", async () => {
    const result = await deliver(bulk([]), subscriptionRoute("shop", "anything"), bulkHeaders);
    expect(result.body).toEqual({ statuses: [] });
  });
});

describe("job callbacks (contract §5.3)", () => {
  const fire = (path: string, body?: string) =>
    fetch(`${served.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("POST /job/<name> with the job's data → 2xx, the handler gets the data", async () => {
    const response = await fire("/job/tick", '{"batch":5}');
    expect(response.status).toBe(204);
    expect(jobRuns).toEqual([{ batch: 5 }]);
  });

  it("an empty body (a job with no data) → the handler gets undefined", async () => {
    expect((await fire("/job/tick")).status).toBe(204);
    expect(jobRuns).toEqual([undefined]);
  });

  it("/jobs/<name> is an alias", async () => {
    expect((await fire("/jobs/tick", '{"batch":1}')).status).toBe(204);
    expect(jobRuns).toEqual([{ batch: 1 }]);
  });

  it("an unknown job → 404", async () => {
    const response = await fire("/job/nope", "{}");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no job named "nope" here' });
  });

  it("a failing job → 5xx so daprd applies the failure policy, with no stack trace in the answer", async () => {
    const response = await fire("/job/tick", '{"batch":-1}');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: "job failed" });
    expect(text).not.toContain("tick failed");
  });

  it("job data failing the schema → 400 naming where, not what it held (a failure to daprd, bounded by the policy)", async () => {
    const response = await fire("/job/tick", '{"batch":"five"}');
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: "job data does not match the schema at batch" });
    expect(text).not.toContain("five");
    expect(jobRuns).toEqual([]);
  });

  it("job data that is not JSON → 400", async () => {
    expect((await fire("/job/tick", "{")).status).toBe(400);
  });
});

describe("APP_API_TOKEN (contract §7.6)", () => {
  let guarded: Served;
  beforeAll(async () => {
    guarded = await start({ appApiToken: "s3cret" });
  });
  afterAll(() => guarded.close());

  const call = (path: string, init: RequestInit = {}) => fetch(`${guarded.url}${path}`, init);

  it("Dapr-facing routes answer 401 without the dapr-api-token header or with a wrong one", async () => {
    expect((await call("/dapr/subscribe")).status).toBe(401);
    expect((await call("/job/tick", { method: "POST" })).status).toBe(401);
    expect((await call("/jobs/tick", { method: "POST" })).status).toBe(401);
    const post = { method: "POST", body: JSON.stringify(envelope()) };
    expect((await call("/events/shop/orders", { ...post, headers: deliveryHeaders })).status).toBe(401);
    const wrong = { ...deliveryHeaders, "dapr-api-token": "s3cret-not" };
    expect((await call("/events/shop/orders", { ...post, headers: wrong })).status).toBe(401);
    const bulkPost = {
      method: "POST",
      body: JSON.stringify({ entries: [{ entryId: "0", event: envelope() }] }),
    };
    expect((await call("/events/shop/anything", { ...bulkPost, headers: deliveryHeaders })).status).toBe(401);
    expect(seen).toHaveLength(0);
  });

  it("accepts the right token", async () => {
    const headers = { ...deliveryHeaders, "dapr-api-token": "s3cret" };
    const response = await call("/events/shop/orders", {
      method: "POST",
      headers,
      body: JSON.stringify(envelope()),
    });
    expect(await response.json()).toEqual({ status: "SUCCESS" });
    expect((await call("/dapr/subscribe", { headers: { "dapr-api-token": "s3cret" } })).status).toBe(200);
  });

  it("health and metrics stay open: daprd's health probe carries no token", async () => {
    expect((await call("/healthz")).status).toBe(200);
    expect((await call("/metrics")).status).toBe(200);
  });
});

describe("/metrics", () => {
  it("counts deliveries by route and outcome, job runs, and records latency histograms", async () => {
    const metrics = new RuntimeMetrics();
    const own = await start({ metrics });
    try {
      const post = (body: string) =>
        fetch(`${own.url}/events/shop/orders`, { method: "POST", headers: deliveryHeaders, body });
      await post(JSON.stringify(envelope()));
      await post(JSON.stringify(envelope()));
      await post("nope");
      await fetch(`${own.url}/job/tick`, { method: "POST", body: '{"batch":1}' });
      const text = await (await fetch(`${own.url}/metrics`)).text();
      expect(text).toContain('taskbeat_deliveries_total{outcome="success",route="/events/shop/orders"} 2');
      expect(text).toContain('taskbeat_deliveries_total{outcome="drop",route="/events/shop/orders"} 1');
      // `job_name`, not `job`: Prometheus' own target label would rename ours to exported_job.
      expect(text).toContain('taskbeat_job_runs_total{job_name="tick",outcome="success"} 1');
      expect(text).not.toMatch(/^taskbeat_\w+\{(?:[^}]*,)?(?:job|instance)="/m);
      expect(text).toContain('taskbeat_delivery_duration_seconds_count{route="/events/shop/orders"} 3');
      expect(text).toMatch(
        /taskbeat_delivery_duration_seconds_bucket\{route="\/events\/shop\/orders",le="\+Inf"\} 3/,
      );
      expect(text).toContain("# TYPE taskbeat_job_duration_seconds histogram");
    } finally {
      await own.close();
    }
  });
});
