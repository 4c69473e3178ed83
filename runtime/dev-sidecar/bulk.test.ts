import { afterEach, describe, expect, it } from "vitest";
import {
  bodyOf,
  closeAll,
  cloudEvent,
  type FixtureReply,
  harness,
  type Received,
} from "../../test/support/fixture-app.js";

afterEach(closeAll);

interface BulkBody {
  id: string;
  type: string;
  topic: string;
  pubsubname: string;
  metadata: Record<string, string>;
  entries: Array<{
    entryId: string;
    event: Record<string, unknown>;
    metadata: Record<string, string>;
    contentType: string;
  }>;
}

const bulkSub = (extra: Record<string, unknown> = {}) => ({
  pubsubname: "pubsub",
  topic: "orders",
  route: "/orders-bulk",
  bulkSubscribe: { enabled: true, maxMessagesCount: 3, maxAwaitDurationMs: 40 },
  ...extra,
});

/**
 * One bulk publish: the events reach the broker together, all with one record key, so they are in one
 * partition and every 3 of them fill a batch.
 */
async function publishTogether(sidecarUrl: string, ids: string[]) {
  const entries = ids.map((id) => ({
    entryId: id,
    event: cloudEvent(id),
    contentType: "application/cloudevents+json",
    metadata: { partitionKey: "order-1" },
  }));
  const res = await fetch(`${sidecarUrl}/v1.0-alpha1/publish/bulk/pubsub/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entries),
  });
  expect(res.status).toBe(204);
}

async function setup(
  respond: (r: Received, call: number) => FixtureReply,
  extra: Record<string, unknown> = {},
) {
  let call = 0;
  const h = await harness({ subscriptions: [bulkSub(extra)], respond: (r) => respond(r, ++call) });
  await publishTogether(h.sidecar.url, ["e1", "e2", "e3"]);
  await h.sidecar.idle();
  return { ...h, batches: h.app.received.map((r) => bodyOf<BulkBody>(r)) };
}

const eventIds = (b: BulkBody) => b.entries.map((e) => e.event.id);

const allSucceed = (r: Received): FixtureReply => ({
  body: { statuses: bodyOf<BulkBody>(r).entries.map((e) => ({ entryId: e.entryId, status: "SUCCESS" })) },
});

describe("bulk subscribe delivery (§4)", () => {
  it("sends daprd's bulk envelope and retries only the entries that did not succeed", async () => {
    const { app, batches } = await setup((r, call) => {
      const entries = bodyOf<BulkBody>(r).entries;
      if (call > 1)
        return { body: { statuses: entries.map((e) => ({ entryId: e.entryId, status: "SUCCESS" })) } };
      // e1 succeeds, e2 asks for a retry, e3 gets no status at all.
      return {
        body: {
          statuses: [
            { entryId: entries[0]?.entryId, status: "SUCCESS" },
            { entryId: entries[1]?.entryId, status: "RETRY" },
          ],
        },
      };
    });
    expect(batches).toHaveLength(2);
    const [first, second] = batches as [BulkBody, BulkBody];
    expect(first).toMatchObject({
      type: "com.dapr.event.sent.bulk",
      topic: "orders",
      pubsubname: "pubsub",
      metadata: { pubsubName: "pubsub" },
    });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(eventIds(first)).toEqual(["e1", "e2", "e3"]);
    expect(first.entries[0]).toMatchObject({
      contentType: "application/cloudevents+json",
      metadata: { partitionKey: "order-1", __key: "order-1", __offset: "0", pubsubName: "pubsub" },
      event: { id: "e1", type: "taskbeat.test.v1", topic: "orders", data: { n: "e1" } },
    });
    // As over Kafka: ids by position in the batch.
    expect(first.entries.map((e) => e.entryId)).toEqual(first.entries.map((_, i) => String(i)));
    // Only e2 and e3 again, with the same entry ids.
    expect(eventIds(second)).toEqual(["e2", "e3"]);
    expect(second.entries.map((e) => e.entryId)).toEqual(first.entries.slice(1).map((e) => e.entryId));
    expect(app.received[0]?.headers).toMatchObject({
      "content-type": "application/json",
      pubsubname: "pubsub",
    });
    expect(app.received[0]?.path).toBe("/orders-bulk");
  });

  it('retries every entry when the answer has no statuses ({"status":"SUCCESS"}), then dead-letters them', async () => {
    const { batches, sidecar } = await setup(() => ({ body: { status: "SUCCESS" } }), {
      deadLetterTopic: "dlq",
    });
    expect(batches.map(eventIds)).toEqual([
      ["e1", "e2", "e3"],
      ["e1", "e2", "e3"],
      ["e1", "e2", "e3"],
    ]);
    expect(sidecar.published.filter((m) => m.topic === "dlq").map((m) => JSON.parse(m.body).id)).toEqual([
      "e1",
      "e2",
      "e3",
    ]);
  });

  it("treats an empty status as RETRY, and DROP as dead-letter", async () => {
    const { batches, sidecar } = await setup(
      (r, call) => {
        const entries = bodyOf<BulkBody>(r).entries;
        const status = (i: number) => (call > 1 ? "SUCCESS" : ["", "DROP", "SUCCESS"][i]);
        return { body: { statuses: entries.map((e, i) => ({ entryId: e.entryId, status: status(i) })) } };
      },
      { deadLetterTopic: "dlq" },
    );
    expect(batches.map(eventIds)).toEqual([["e1", "e2", "e3"], ["e1"]]);
    expect(sidecar.published.filter((m) => m.topic === "dlq").map((m) => JSON.parse(m.body).id)).toEqual([
      "e2",
    ]);
  });

  it("drops the whole batch on 404 and retries it all on 500 or a non-JSON body", async () => {
    const dropped = await setup(() => ({ status: 404 }), { deadLetterTopic: "dlq" });
    expect(dropped.batches).toHaveLength(1);
    expect(dropped.sidecar.published.filter((m) => m.topic === "dlq")).toHaveLength(3);

    const failing = await setup((_r, call) =>
      call === 1 ? { status: 500 } : call === 2 ? { body: "ok" } : { status: 404 },
    );
    expect(failing.batches.map(eventIds)).toEqual([
      ["e1", "e2", "e3"],
      ["e1", "e2", "e3"],
      ["e1", "e2", "e3"],
    ]);
  });

  it("close() waits for the batch in flight and starts none of those waiting", async () => {
    let answered = 0;
    const { app, sidecar } = await harness({
      subscriptions: [bulkSub()],
      respond: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answered++;
        return allSucceed(r);
      },
    });
    // One key, so one partition: the second batch waits for the first.
    await publishTogether(sidecar.url, ["a1", "a2", "a3", "b1", "b2", "b3"]);
    await app.waitFor((r) => r.length === 1);
    await sidecar.close();
    expect(answered).toBe(1);
    expect(app.received).toHaveLength(1);
  });

  it("flushes a partial batch after maxAwaitDurationMs", async () => {
    const { app, sidecar, publish } = await harness({
      subscriptions: [bulkSub()],
      respond: () => ({ status: 404 }),
    });
    const start = Date.now();
    await publish("orders", cloudEvent("only"));
    await sidecar.idle();
    expect(app.received).toHaveLength(1);
    expect(eventIds(bodyOf<BulkBody>(app.received[0] as Received))).toEqual(["only"]);
    expect((app.received[0] as Received).at - start).toBeGreaterThanOrEqual(39);
  });

  it("without settings, cuts batches at Kafka's 80 messages", async () => {
    const h = await harness({
      subscriptions: [bulkSub({ bulkSubscribe: { enabled: true } })],
      respond: (r) => allSucceed(r),
    });
    // 81 in one partition: the first batch is cut at 80 (a count of 100 would send all 81 after its
    // timeout); the 81st waits Kafka's 10 s and is never sent here.
    await publishTogether(
      h.sidecar.url,
      Array.from({ length: 81 }, (_, i) => `e${i}`),
    );
    await expect.poll(() => h.app.received.length, { timeout: 5_000 }).toBe(1);
    expect(bodyOf<BulkBody>(h.app.received[0] as Received).entries).toHaveLength(80);
  });
});
