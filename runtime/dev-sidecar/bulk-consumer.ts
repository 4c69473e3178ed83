/**
 * Bulk delivery for subscriptions with `bulkSubscribe.enabled` (contract §4), as daprd does it over Kafka
 * (native bulk): buffer up to `maxMessagesCount` messages (default 80) or `maxAwaitDurationMs` (default
 * 10,000), then POST one `com.dapr.event.sent.bulk` envelope per matched route, entry ids "0", "1", … by
 * position in the batch.
 *
 * As Kafka's bulk handler does per partition claim, each partition has its own buffer and one batch in
 * flight at a time (one request, or one per route when its messages match different routes); the
 * partitions run concurrently, so batches of different partitions complete in any order. A partition's
 * next batch is cut when its batch is done: the messages that arrived meanwhile, up to the count, at
 * once if they are enough or have waited `maxAwaitDurationMs`.
 *
 * Only the entries that did not succeed are retried (same entry ids, exponential backoff), and the
 * partition waits for them. When the policy is exhausted, the failed entries are dead-lettered and the
 * partition moves on; without a dead-letter topic the whole batch, entries that succeeded included, is
 * redelivered after `redeliverAfterMs` until it goes through, the partition blocked meanwhile, as
 * Kafka's consumer retry does with the bulk callback (§4, §3.5.3).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { BrokerMessage, Consumer } from "./broker.js";
import type { ConsumerDeps } from "./consumer.js";
import { settleWithin, sleep } from "./http.js";
import { interpretBulk, type Verdict } from "./outcome.js";
import { brokerMetadata, type Prepared, prepare } from "./prepare.js";
import { backoffMs, shuffled, Timers } from "./retry.js";
import { type DiscoveredSubscription, KAFKA_BULK_DEFAULTS } from "./subscriptions.js";
import { childSpan, formatTraceparent } from "./trace.js";

interface Entry {
  entryId: string;
  message: BrokerMessage;
  /** Acked, dropped or dead-lettered once: the tracker has counted it out. */
  settled: boolean;
}

/** The batch a partition is busy with, from its first request until every entry is settled. */
interface Batch {
  entries: Entry[];
  /** Failed attempts in the current delivery cycle. */
  failures: number;
}

interface Arrival {
  message: BrokerMessage;
  at: number;
}

/** One partition as this consumer sees it: its buffer, and whether it is busy with a batch. */
interface Lane {
  buffer: Arrival[];
  busy: boolean;
  flushTimerSet: boolean;
}

type Deliverable = Extract<Prepared, { kind: "deliver" }>;

export class BulkConsumer implements Consumer {
  private readonly lanes = new Map<number, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Timers();
  private closed = false;
  private readonly log: Logger;
  private readonly maxCount: number;
  private readonly maxAwaitMs: number;

  constructor(
    readonly subscription: DiscoveredSubscription,
    private readonly deps: ConsumerDeps,
  ) {
    this.log = deps.log.child({ pubsub: subscription.pubsubname, topic: subscription.topic, bulk: true });
    this.maxCount = subscription.bulkSubscribe?.maxMessagesCount ?? KAFKA_BULK_DEFAULTS.maxMessagesCount;
    this.maxAwaitMs =
      subscription.bulkSubscribe?.maxAwaitDurationMs ?? KAFKA_BULK_DEFAULTS.maxAwaitDurationMs;
  }

  enqueue(message: BrokerMessage): void {
    if (this.closed) return;
    this.deps.tracker.begin();
    let lane = this.lanes.get(message.partition);
    if (!lane) {
      lane = { buffer: [], busy: false, flushTimerSet: false };
      this.lanes.set(message.partition, lane);
    }
    lane.buffer.push({ message, at: Date.now() });
    this.next(lane);
  }

  /** Stops starting batches (buffered messages never go out) and waits up to `graceMs` for those in flight. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.timers.clear();
    await settleWithin(this.inFlight, graceMs);
  }

  /** Cuts the lane's next batch if it is free and its buffer is full or has waited long enough. */
  private next(lane: Lane): void {
    const oldest = lane.buffer[0];
    if (this.closed || lane.busy || oldest === undefined) return;
    const waited = Date.now() - oldest.at;
    if (lane.buffer.length < this.maxCount && waited < this.maxAwaitMs) {
      // One timer per partition, not per message: it fires when the oldest buffered message is due.
      if (!lane.flushTimerSet) {
        lane.flushTimerSet = true;
        this.timers.set(() => {
          lane.flushTimerSet = false;
          this.next(lane);
        }, this.maxAwaitMs - waited);
      }
      return;
    }
    const messages = lane.buffer.splice(0, this.maxCount).map((arrival) => arrival.message);
    const ordered = this.deps.faults.reorder ? shuffled(messages) : messages;
    const batch: Batch = {
      entries: ordered.map((message, i) => ({ entryId: String(i), message, settled: false })),
      failures: 0,
    };
    lane.busy = true;
    this.attempt(lane, batch, batch.entries);
  }

  private release(lane: Lane): void {
    lane.busy = false;
    this.next(lane);
  }

  /** Sends `entries` (the whole batch, or its failed entries) and settles what comes back. */
  private attempt(lane: Lane, batch: Batch, entries: Entry[]): void {
    const run: Promise<void> = this.send(entries)
      .catch((err): Map<string, Verdict> => {
        // Should not happen (app calls never throw); retry rather than lose the batch.
        this.log.error("bulk delivery crashed; retrying", { error: err });
        return new Map();
      })
      .then((verdicts) => this.settle(lane, batch, entries, verdicts))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async send(entries: Entry[]): Promise<Map<string, Verdict>> {
    await sleep(this.deps.faults.latencyMs);
    const verdicts = new Map<string, Verdict>();
    const byPath = new Map<string, Array<{ entry: Entry; prepared: Deliverable }>>();
    for (const entry of entries) {
      const prepared = prepare(this.subscription, entry.message, this.log);
      if (prepared.kind === "deliver") {
        const group = byPath.get(prepared.path) ?? [];
        group.push({ entry, prepared });
        byPath.set(prepared.path, group);
      } else verdicts.set(entry.entryId, { outcome: prepared.kind, reason: prepared.reason });
    }
    // Messages are grouped per matched route: one request per distinct path.
    await Promise.all(
      [...byPath].map(async ([path, group]) => {
        for (const [id, verdict] of await this.post(path, group)) verdicts.set(id, verdict);
      }),
    );
    return verdicts;
  }

  private settle(lane: Lane, batch: Batch, entries: Entry[], verdicts: Map<string, Verdict>): void {
    if (this.closed) return;
    const failed: Entry[] = [];
    for (const entry of entries) {
      const verdict = verdicts.get(entry.entryId) ?? { outcome: "retry", reason: "no verdict" };
      if (verdict.outcome === "ack") this.end(entry);
      else if (verdict.outcome === "drop") {
        this.log.warn("bulk entry dropped", { entryId: entry.entryId, reason: verdict.reason });
        this.deadLetterOrEnd(entry);
      } else failed.push(entry);
    }
    if (failed.length === 0) this.release(lane);
    else this.retry(lane, batch, failed);
  }

  private async post(path: string, group: Array<{ entry: Entry; prepared: Deliverable }>) {
    const { pubsubname, topic } = this.subscription;
    const body = {
      id: randomUUID(),
      type: "com.dapr.event.sent.bulk",
      topic,
      pubsubname,
      metadata: { pubsubName: pubsubname },
      entries: group.map(({ entry, prepared }) => ({
        entryId: entry.entryId,
        event: prepared.event,
        metadata: brokerMetadata(entry.message),
        contentType: prepared.contentType,
      })),
    };
    const headers = {
      "content-type": "application/json",
      pubsubname,
      traceparent: formatTraceparent(childSpan(undefined)),
    };
    const res = await this.deps.channel.call("POST", path, headers, JSON.stringify(body));
    const ids = group.map(({ entry }) => entry.entryId);
    return interpretBulk(res.status, res.body, ids, (msg) => this.log.warn(msg, { path }));
  }

  // Until every entry is settled, the partition stays busy with this batch: no later batch overtakes it.
  private retry(lane: Lane, batch: Batch, failed: Entry[]): void {
    batch.failures++;
    const partition = failed[0]?.message.partition;
    if (batch.failures < this.deps.retry.maxAttempts) {
      const delay = backoffMs(this.deps.retry, batch.failures);
      this.log.info("bulk entries failed; retrying them", {
        partition,
        count: failed.length,
        attempt: batch.failures,
        delayMs: delay,
      });
      this.timers.set(() => this.attempt(lane, batch, failed), delay);
    } else if (this.subscription.deadLetterTopic !== undefined) {
      this.log.warn("bulk retries exhausted; dead-lettering", { partition, count: failed.length });
      for (const entry of failed) this.deadLetterOrEnd(entry);
      this.release(lane);
    } else {
      const delay = this.deps.redeliverAfterMs;
      this.log.warn("bulk retries exhausted, no dead-letter topic: redelivering the whole batch later", {
        partition,
        count: batch.entries.length,
        delayMs: delay,
      });
      this.timers.set(() => {
        batch.failures = 0;
        this.attempt(lane, batch, batch.entries);
      }, delay);
    }
  }

  private deadLetterOrEnd(entry: Entry): void {
    const dlq = this.subscription.deadLetterTopic;
    if (dlq !== undefined) this.deps.deadLetter(entry.message, dlq);
    this.end(entry);
  }

  // A whole-batch redelivery sends entries that were already acked; they must not be counted out twice.
  private end(entry: Entry): void {
    if (entry.settled) return;
    entry.settled = true;
    this.deps.settled(entry.message);
    this.deps.tracker.end();
  }
}
