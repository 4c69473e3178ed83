import { afterEach, describe, expect, it } from "vitest";
import {
  bodyOf,
  closeAll,
  cloudEvent,
  FAST_RETRY,
  type FixtureReply,
  harness,
  type Received,
  startFixtureApp,
  track,
} from "../../test/support/fixture-app.js";
import { freePort } from "../../test/support/ports.js";
import { silentLogger } from "../log.js";
import { startSidecar } from "./sidecar.js";

afterEach(closeAll);

const sub = (extra: Record<string, unknown> = {}) => ({
  pubsubname: "pubsub",
  topic: "orders",
  route: "/orders",
  ...extra,
});
const ids = (received: Received[], path?: string) =>
  received.filter((r) => path === undefined || r.path === path).map((r) => bodyOf(r).id);

describe("subscriptions and the delivery request (§2.1, §3.1)", () => {
  it("reads /dapr/subscribe once, then POSTs the exact published bytes with daprd's headers", async () => {
    const { app, sidecar, publish } = await harness(
      { subscriptions: [sub()] },
      { appApiToken: "app-token", appId: "orders-app" },
    );
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await publish("orders", cloudEvent("evt-1"), {
      query: "?metadata.partitionKey=k1",
      headers: { traceparent },
    });
    await sidecar.idle();
    expect(app.subscribeCalls).toHaveLength(1);
    expect(app.subscribeCalls[0]?.headers).toMatchObject({
      "dapr-app-id": "orders-app",
      "dapr-api-token": "app-token",
    });
    expect(app.received).toHaveLength(1);
    const [delivery] = app.received as [Received];
    expect(delivery.method).toBe("POST");
    expect(delivery.path).toBe("/orders");
    expect(delivery.body).toBe(sidecar.published[0]?.body);
    expect(delivery.headers).toMatchObject({
      "content-type": "application/cloudevents+json",
      pubsubname: "pubsub",
      "dapr-api-token": "app-token",
      partitionkey: "k1",
      __key: "k1",
      __topic: "orders",
      __offset: "0",
    });
    // The partition "k1" hashes to, of the default 8.
    expect(delivery.headers.__partition).toMatch(/^[0-7]$/);
    expect(delivery.headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(delivery.headers["dapr-app-id"]).toBeUndefined();
    expect(sidecar.subscriptions()).toEqual([
      { pubsubname: "pubsub", topic: "orders", rules: [{ match: "", path: "/orders" }], metadata: {} },
    ]);
  });

  it("keeps what is published before the app is up, and healthz waits for the app port", async () => {
    const port = await freePort();
    const sidecar = track(
      await startSidecar({ appUrl: `http://127.0.0.1:${port}`, log: silentLogger, retry: FAST_RETRY }),
    );
    const healthz = () => fetch(`${sidecar.url}/v1.0/healthz`).then((r) => r.status);
    expect(await healthz()).toBe(500);
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);
    const res = await fetch(`${sidecar.url}/v1.0/publish/pubsub/orders`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify(cloudEvent("early")),
    });
    expect(res.status).toBe(204);
    const app = track(await startFixtureApp({ subscriptions: [sub()], port }));
    await sidecar.ready();
    expect(await healthz()).toBe(204);
    await sidecar.idle();
    expect(ids(app.received)).toEqual(["early"]);
  });

  it("treats a 404 /dapr/subscribe as no subscriptions, and a mistyped one as none", async () => {
    const none = await harness({ subscriptions: { status: 404 } });
    expect(none.sidecar.subscriptions()).toEqual([]);
    expect((await fetch(`${none.sidecar.url}/v1.0/healthz`)).status).toBe(204);
    // metadata values must be strings: daprd's typed decode fails and it keeps no subscriptions.
    const typed = await harness({ subscriptions: [sub({ metadata: { rawPayload: true } })] });
    expect(typed.sidecar.subscriptions()).toEqual([]);
  });
});

describe("answers to a delivery (§3.4), with 3 attempts and a dead-letter topic", () => {
  it.each<[string, number, boolean, FixtureReply]>([
    ["200 empty", 1, false, { status: 200 }],
    ["204", 1, false, { status: 204 }],
    ["200 non-JSON", 1, false, { status: 200, body: "ok" }],
    ['200 {"status":true}', 1, false, { status: 200, body: { status: true } }],
    ["200 SUCCESS", 1, false, { status: 200, body: { status: "SUCCESS" } }],
    ['200 status ""', 1, false, { status: 200, body: { status: "" } }],
    ["200 {}", 1, false, { status: 200, body: {} }],
    ["200 RETRY", 3, true, { status: 200, body: { status: "RETRY" } }],
    ['200 "success" (unknown)', 3, true, { status: 200, body: { status: "success" } }],
    ["200 DROP", 1, true, { status: 200, body: { status: "DROP" } }],
    ["404", 1, true, { status: 404 }],
    ["400", 3, true, { status: 400 }],
    ["429", 3, true, { status: 429 }],
    ["500", 3, true, { status: 500, body: { status: "SUCCESS" } }],
    ["connection reset", 3, true, { destroy: true }],
  ])("%s → %d attempt(s), dead-lettered: %s", async (_name, attempts, deadLettered, reply) => {
    const { app, sidecar, publish } = await harness({
      subscriptions: [sub({ deadLetterTopic: "orders-dlq" })],
      respond: () => reply,
    });
    await publish("orders", cloudEvent("evt-1"));
    await sidecar.idle();
    expect(app.received.map((r) => r.path)).toEqual(Array(attempts).fill("/orders"));
    const dlq = sidecar.published.filter((m) => m.topic === "orders-dlq");
    expect(dlq).toHaveLength(deadLettered ? 1 : 0);
    if (deadLettered) expect(dlq[0]?.body).toBe(sidecar.published[0]?.body);
  });

  it("times out a hanging app and retries", async () => {
    let calls = 0;
    const { app, sidecar, publish } = await harness(
      { subscriptions: [sub()], respond: () => (++calls === 1 ? new Promise(() => {}) : { status: 200 }) },
      { appTimeoutMs: 100 },
    );
    await publish("orders", cloudEvent("evt-1"));
    await sidecar.idle();
    expect(app.received).toHaveLength(2);
  });
});

describe("retries, dead letters and redelivery (§3.5)", () => {
  it("retries with backoff, then dead-letters; a subscribed DLQ topic is delivered like any topic", async () => {
    const { app, sidecar, publish } = await harness({
      subscriptions: [
        sub({ deadLetterTopic: "orders-dlq" }),
        { pubsubname: "pubsub", topic: "orders-dlq", route: "/dlq" },
      ],
      respond: (r) => (r.path === "/orders" ? { status: 500 } : { status: 200 }),
    });
    await publish("orders", cloudEvent("evt-1"));
    await sidecar.idle();
    const attempts = app.received.filter((r) => r.path === "/orders");
    expect(attempts).toHaveLength(3);
    // 10 ms then 20 ms between attempts (timers may run late, never early).
    const gaps = attempts.slice(1).map((r, i) => r.at - (attempts[i] as Received).at);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    const dlq = app.received.filter((r) => r.path === "/dlq");
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.body).toBe(sidecar.published[0]?.body);
    expect(sidecar.published.map((m) => m.topic)).toEqual(["orders", "orders-dlq"]);
  });

  it("without a dead-letter topic, redelivers after redeliverAfterMs instead of losing the message", async () => {
    let calls = 0;
    const { app, sidecar, publish } = await harness(
      { subscriptions: [sub()], respond: () => ({ status: ++calls <= 3 ? 503 : 200 }) },
      { redeliverAfterMs: 150 },
    );
    await publish("orders", cloudEvent("evt-1"));
    await sidecar.idle();
    expect(app.received).toHaveLength(4);
    const [, , third, fourth] = app.received as [Received, Received, Received, Received];
    expect(fourth.at - third.at).toBeGreaterThanOrEqual(149);
    expect(sidecar.published).toHaveLength(1);
  });
});

describe("routing, expiry and raw payloads (§2.1, §3.2, §3.3)", () => {
  it("picks the first matching rule, then the default; no match and no default drops to the DLQ", async () => {
    const routes = {
      rules: [
        { match: 'event.type == "order.created"', path: "created" },
        { match: "event.data.total > 100", path: "/big" }, // unsupported CEL: never matches
      ],
      default: "/orders/other/",
    };
    const { app, sidecar, publish } = await harness({
      subscriptions: [
        { pubsubname: "pubsub", topic: "orders", routes },
        {
          pubsubname: "pubsub",
          topic: "strict",
          routes: { rules: [{ match: "event.type == 'only.this'", path: "/only" }] },
          deadLetterTopic: "strict-dlq",
        },
      ],
    });
    await publish("orders", cloudEvent("a", { type: "order.created" }));
    await publish("orders", cloudEvent("b", { type: "order.paid", data: { total: 500 } }));
    await publish("strict", cloudEvent("c", { type: "something.else" }));
    await publish("strict", cloudEvent("d", { type: "only.this" }));
    await sidecar.idle();
    expect(ids(app.received, "/created")).toEqual(["a"]);
    expect(ids(app.received, "/orders/other")).toEqual(["b"]);
    expect(ids(app.received, "/only")).toEqual(["d"]);
    expect(app.received).toHaveLength(3);
    expect(
      sidecar.published.filter((m) => m.topic === "strict-dlq").map((m) => JSON.parse(m.body).id),
    ).toEqual(["c"]);
  });

  it("drops expired events before delivery (to the DLQ when set)", async () => {
    const { app, sidecar, publish } = await harness({ subscriptions: [sub({ deadLetterTopic: "dlq" })] });
    await publish("orders", cloudEvent("old", { expiration: "2000-01-01T00:00:00Z" }));
    await publish("orders", cloudEvent("fresh", { expiration: "2999-01-01T00:00:00Z" }));
    await sidecar.idle();
    expect(ids(app.received)).toEqual(["fresh"]);
    expect(sidecar.published.filter((m) => m.topic === "dlq")).toHaveLength(1);
  });

  it("wraps raw messages for rawPayload subscriptions in a fresh envelope with data_base64", async () => {
    const { app, sidecar, publish } = await harness({
      subscriptions: [sub({ metadata: { rawPayload: "true" } })],
    });
    await publish("orders", "plain bytes", { contentType: "text/plain", query: "?metadata.rawPayload=true" });
    await sidecar.idle();
    const [delivery] = app.received as [Received];
    expect(delivery.headers["content-type"]).toBe("application/cloudevents+json");
    const body = bodyOf(delivery);
    expect(body).toMatchObject({
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic: "orders",
      pubsubname: "pubsub",
      data_base64: Buffer.from("plain bytes").toString("base64"),
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("retries a non-JSON broker message on a normal subscription", async () => {
    const { app, sidecar, publish } = await harness({ subscriptions: [sub({ deadLetterTopic: "dlq" })] });
    await publish("orders", "not json", { query: "?metadata.rawPayload=true" });
    await sidecar.idle();
    expect(app.received).toHaveLength(0);
    expect(sidecar.published.map((m) => m.topic)).toEqual(["orders", "dlq"]);
  });

  it("fans out to every subscription of a topic (one per function group), each its own consumer", async () => {
    let failures = 0;
    const { app, sidecar, publish } = await harness({
      subscriptions: [
        sub({ route: "/group-a/orders" }),
        sub({ route: "/group-b/orders" }),
        sub({ route: "/group-a/orders" }),
      ],
      // Group b fails twice: its retries must not redeliver to group a.
      respond: (r) => ({ status: r.path === "/group-b/orders" && ++failures <= 2 ? 500 : 200 }),
    });
    expect(sidecar.subscriptions()).toHaveLength(2);
    await publish("orders", cloudEvent("evt-1"));
    await sidecar.idle();
    expect(app.received.filter((r) => r.path === "/group-a/orders")).toHaveLength(1);
    expect(app.received.filter((r) => r.path === "/group-b/orders")).toHaveLength(3);
  });
});
