/**
 * Partitions, as the local sidecar models Kafka's: a record key always lands in one partition, each
 * subscription delivers a partition one message (or one batch) at a time in offset order, partitions
 * run concurrently, and a failure holds only its own partition.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  bodyOf,
  closeAll,
  cloudEvent,
  type FixtureReply,
  harness,
  type Received,
} from "../../test/support/fixture-app.js";
import type { SidecarOptions } from "./sidecar.js";

afterEach(closeAll);

/** A message as the app received it. */
interface Delivered {
  id: string;
  key: string | undefined;
  partition: number;
  offset: number;
}

interface BulkBody {
  entries: Array<{ entryId: string; event: { id: string }; metadata: Record<string, string> }>;
}

const single = { pubsubname: "pubsub", topic: "orders", route: "/orders" };
const bulk = {
  pubsubname: "pubsub",
  topic: "orders",
  route: "/orders-bulk",
  bulkSubscribe: { enabled: true, maxMessagesCount: 3, maxAwaitDurationMs: 20 },
};

function deliveredIn(r: Received): Delivered[] {
  const read = (id: string, md: Record<string, string | string[] | undefined>): Delivered => ({
    id,
    key: md.__key as string | undefined,
    partition: Number(md.__partition),
    offset: Number(md.__offset),
  });
  if (r.path === "/orders") return [read(bodyOf<{ id: string }>(r).id, r.headers)];
  return bodyOf<BulkBody>(r).entries.map((e) => read(e.event.id, e.metadata));
}

/**
 * An app that holds every request for `delayMs` and records what it gets: every request's messages in
 * arrival order, and whether a key or a partition was ever in two requests at once.
 */
function watchingApp(answer: (r: Received, messages: Delivered[]) => FixtureReply, delayMs = 15) {
  const seen = {
    requests: [] as Array<{ at: number; messages: Delivered[] }>,
    peak: 0,
    keyOverlap: false,
    partitionOverlap: false,
  };
  const busyKeys = new Set<string>();
  const busyPartitions = new Set<number>();
  const respond = async (r: Received): Promise<FixtureReply> => {
    const messages = deliveredIn(r);
    seen.requests.push({ at: r.at, messages });
    const keys = new Set(messages.flatMap((m) => (m.key === undefined ? [] : [m.key])));
    const partitions = new Set(messages.map((m) => m.partition));
    for (const key of keys) seen.keyOverlap ||= busyKeys.has(key);
    for (const partition of partitions) seen.partitionOverlap ||= busyPartitions.has(partition);
    for (const key of keys) busyKeys.add(key);
    for (const partition of partitions) busyPartitions.add(partition);
    seen.peak = Math.max(seen.peak, busyPartitions.size);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    for (const key of keys) busyKeys.delete(key);
    for (const partition of partitions) busyPartitions.delete(partition);
    return answer(r, messages);
  };
  const ids = (partition?: number) =>
    seen.requests.flatMap((q) =>
      q.messages.filter((m) => partition === undefined || m.partition === partition).map((m) => m.id),
    );
  return { seen, respond, ids };
}

const succeed = (r: Received): FixtureReply =>
  r.path === "/orders"
    ? { status: 200 }
    : {
        body: {
          statuses: bodyOf<BulkBody>(r).entries.map((e) => ({ entryId: e.entryId, status: "SUCCESS" })),
        },
      };

/** One bulk publish, so the broker gets the messages together, in this order; `key` undefined = keyless. */
async function publishAll(url: string, messages: Array<{ id: string; key?: string }>) {
  const entries = messages.map(({ id, key }) => ({
    entryId: id,
    event: cloudEvent(id),
    contentType: "application/cloudevents+json",
    ...(key === undefined ? {} : { metadata: { partitionKey: key } }),
  }));
  const res = await fetch(`${url}/v1.0-alpha1/publish/bulk/pubsub/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entries),
  });
  expect(res.status).toBe(204);
}

/** Keys k0…k{keys-1}, `rounds` messages each, interleaved: k0-0, k1-0, …, k0-1, k1-1, … */
const interleaved = (keys: number, rounds: number) =>
  Array.from({ length: keys * rounds }, (_, i) => {
    const key = `k${i % keys}`;
    return { id: `${key}-${Math.floor(i / keys)}`, key };
  });

const keyless = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `m${i}` }));

async function start(subscription: object, app: ReturnType<typeof watchingApp>, options: SidecarOptions) {
  return harness({ subscriptions: [subscription], respond: app.respond }, options);
}

describe.each([
  ["single", single],
  ["bulk", bulk],
])("%s delivery over partitions", (_mode, subscription) => {
  it("never has a key in flight twice, delivers each key in publish order and each partition by offset", async () => {
    const app = watchingApp(succeed);
    const { sidecar } = await start(subscription, app, { concurrency: 4 });
    const published = interleaved(8, 5);
    await publishAll(sidecar.url, published);
    await sidecar.idle();

    expect(app.seen.keyOverlap).toBe(false);
    expect(app.seen.partitionOverlap).toBe(false);
    expect(app.seen.peak).toBeGreaterThan(1);
    expect(app.seen.peak).toBeLessThanOrEqual(4);
    const delivered = app.seen.requests.flatMap((q) => q.messages);
    expect(delivered.map((m) => m.id).sort()).toEqual(published.map((m) => m.id).sort());
    for (const key of new Set(published.map((m) => m.key))) {
      const ofKey = delivered.filter((m) => m.key === key);
      expect(ofKey.map((m) => m.id)).toEqual(published.filter((m) => m.key === key).map((m) => m.id));
      // A key lives in one partition.
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
    }
    for (let partition = 0; partition < 4; partition++) {
      const offsets = delivered.filter((m) => m.partition === partition).map((m) => m.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it("spreads keyless messages round-robin, and runs up to `concurrency` partitions at once", async () => {
    const app = watchingApp(succeed, 30);
    const { sidecar } = await start(subscription, app, { concurrency: 4 });
    await publishAll(sidecar.url, keyless(24));
    await sidecar.idle();

    expect(app.seen.peak).toBe(4);
    expect(app.seen.partitionOverlap).toBe(false);
    const delivered = app.seen.requests.flatMap((q) => q.messages);
    expect(delivered).toHaveLength(24);
    for (const m of delivered) {
      const n = Number(m.id.slice(1));
      expect(m).toEqual({ id: m.id, key: undefined, partition: n % 4, offset: Math.floor(n / 4) });
    }
  });
});

describe("a failure holds its partition only", () => {
  // Keyless over 2 partitions: m0, m2, m4 in partition 0; m1, m3, m5 in partition 1.
  const retry = { maxAttempts: 3, initialIntervalMs: 100, maxIntervalMs: 100 };

  it.each([
    ["retried, then succeeds", {}, 2, ["m0", "m0", "m0", "m2", "m4"]],
    [
      "exhausted, dead-lettered, then the partition moves on",
      { deadLetterTopic: "dlq" },
      99,
      ["m0", "m0", "m0", "m2", "m4"],
    ],
    [
      "exhausted without a dead-letter topic: redelivered, the partition waits",
      {},
      3,
      ["m0", "m0", "m0", "m0", "m2", "m4"],
    ],
  ] as const)("single delivery: %s", async (_name, extra, failures, partition0) => {
    let failed = 0;
    const app = watchingApp((r) =>
      bodyOf(r).id === "m0" && failed++ < failures ? { status: 500 } : { status: 200 },
    );
    const { sidecar } = await start({ ...single, ...extra }, app, {
      concurrency: 2,
      retry,
      redeliverAfterMs: 100,
    });
    await publishAll(sidecar.url, keyless(6));
    await sidecar.idle();

    expect(app.ids(0)).toEqual(partition0);
    expect(app.ids(1)).toEqual(["m1", "m3", "m5"]);
    // Partition 1 is done before m0's last attempt: it never waited for partition 0.
    const lastOfM0 = app.seen.requests.filter((q) => q.messages[0]?.id === "m0").at(-1)?.at ?? 0;
    const lastOfPartition1 = app.seen.requests.filter((q) => q.messages[0]?.partition === 1).at(-1)?.at;
    expect(lastOfPartition1).toBeLessThan(lastOfM0);
    const dlq = sidecar.published.filter((m) => m.topic === "dlq").map((m) => JSON.parse(m.body).id);
    expect(dlq).toEqual("deadLetterTopic" in extra ? ["m0"] : []);
  });

  it("bulk: the failed entries are retried before the partition's next batch; other partitions go on", async () => {
    // Partition 0 gets [m0 m2 m4] then [m6 m8 m10]; partition 1 [m1 m3 m5] then [m7 m9 m11].
    let failed = false;
    const app = watchingApp((r) => {
      const entries = bodyOf<BulkBody>(r).entries;
      const status = (id: string) => (id === "m0" && !failed ? "RETRY" : "SUCCESS");
      const answer = {
        body: { statuses: entries.map((e) => ({ entryId: e.entryId, status: status(e.event.id) })) },
      };
      failed ||= entries.some((e) => e.event.id === "m0");
      return answer;
    });
    const { sidecar } = await start(bulk, app, { concurrency: 2, retry });
    await publishAll(sidecar.url, keyless(12));
    await sidecar.idle();

    const batches = (partition: number) =>
      app.seen.requests
        .filter((q) => q.messages[0]?.partition === partition)
        .map((q) => q.messages.map((m) => m.id));
    expect(batches(0)).toEqual([["m0", "m2", "m4"], ["m0"], ["m6", "m8", "m10"]]);
    expect(batches(1)).toEqual([
      ["m1", "m3", "m5"],
      ["m7", "m9", "m11"],
    ]);
    const retryAt = app.seen.requests.find((q) => q.messages.length === 1)?.at ?? 0;
    expect(app.seen.requests.filter((q) => q.messages[0]?.partition === 1).at(-1)?.at).toBeLessThan(retryAt);
  });

  it("bulk without a dead-letter topic: after the retries, the whole batch again, counted out once", async () => {
    // One partition: [a1 a2 a3] then [b1]. a2 fails 3 attempts, then the whole batch is redelivered.
    let a2Failures = 0;
    const app = watchingApp((r) => {
      const entries = bodyOf<BulkBody>(r).entries;
      const status = (id: string) => (id === "a2" && a2Failures < 3 ? "RETRY" : "SUCCESS");
      const answer = {
        body: { statuses: entries.map((e) => ({ entryId: e.entryId, status: status(e.event.id) })) },
      };
      if (entries.some((e) => e.event.id === "a2")) a2Failures++;
      return answer;
    });
    const { sidecar } = await start(bulk, app, { concurrency: 1, redeliverAfterMs: 50 });
    await publishAll(
      sidecar.url,
      ["a1", "a2", "a3", "b1"].map((id) => ({ id })),
    );
    // a1 and a3 are acked twice: were they counted out twice, idle() would resolve before b1 is sent.
    await sidecar.idle();

    expect(app.seen.requests.map((q) => q.messages.map((m) => m.id))).toEqual([
      ["a1", "a2", "a3"],
      ["a2"],
      ["a2"],
      ["a1", "a2", "a3"],
      ["b1"],
    ]);
  });
});
