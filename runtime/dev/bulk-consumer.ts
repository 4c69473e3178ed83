/**
 * Bulk delivery for subscriptions with `bulkSubscribe.enabled` (contract §4), as daprd's default bulk
 * subscriber does it: buffer up to `maxMessagesCount` messages or `maxAwaitDurationMs`, then POST one
 * `com.dapr.event.sent.bulk` envelope per matched route, with random UUID entry ids.
 *
 * Up to `concurrency` batches are in flight per subscription, as behind a Kafka consumer with several
 * partitions, each blocked on its own batch (a batch is one request, or one per route when its messages
 * match different routes). Handlers must cope with batches completing out of order. Batches beyond that
 * wait in a queue and start in order as slots free up.
 *
 * Only the entries that did not succeed are retried (same entry ids, exponential backoff). A retry takes
 * a slot like any batch; when its backoff is over it goes ahead of the waiting batches, as a failed
 * partition retries before moving on. When the policy is exhausted, the failed entries are dead-lettered,
 * or redelivered later in a new batch.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { BrokerMessage, Consumer } from "./broker.js";
import type { ConsumerDeps } from "./consumer.js";
import { sleep } from "./http.js";
import { interpretBulk, type Verdict } from "./outcome.js";
import { brokerMetadata, type Prepared, prepare } from "./prepare.js";
import { backoffMs, shuffled, Timers } from "./retry.js";
import type { DiscoveredSubscription } from "./subscriptions.js";
import { childSpan, formatTraceparent } from "./trace.js";

interface Entry {
  entryId: string;
  message: BrokerMessage;
}

/** A bulk request to make: new entries (`failures` 0) or the failed entries of an earlier one. */
interface Batch {
  entries: Entry[];
  /** Failed attempts of these entries in the current delivery cycle. */
  failures: number;
}

type Deliverable = Extract<Prepared, { kind: "deliver" }>;

export class BulkConsumer implements Consumer {
  private buffer: BrokerMessage[] = [];
  /** Batches waiting for a free slot, in the order they start. */
  private ready: Batch[] = [];
  private flushScheduled = false;
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
    this.maxCount = subscription.bulkSubscribe?.maxMessagesCount ?? 100;
    this.maxAwaitMs = subscription.bulkSubscribe?.maxAwaitDurationMs ?? 1000;
  }

  enqueue(message: BrokerMessage): void {
    if (this.closed) return;
    this.deps.tracker.begin();
    this.add(message);
  }

  /** Stops starting batches (waiting ones never start) and waits up to `graceMs` for those in flight. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.timers.clear();
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(graceMs)]);
  }

  // Adds to the buffer a message that is already counted by the tracker.
  private add(message: BrokerMessage): void {
    this.buffer.push(message);
    if (this.buffer.length >= this.maxCount) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.timers.set(() => this.flush(), this.maxAwaitMs);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.buffer.length > 0 && !this.closed) {
      const batch = this.buffer.splice(0, this.maxCount);
      const ordered = this.deps.faults.reorder ? shuffled(batch) : batch;
      this.ready.push({
        entries: ordered.map((message) => ({ entryId: randomUUID(), message })),
        failures: 0,
      });
    }
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.deps.concurrency && this.ready.length > 0) {
      const { entries, failures } = this.ready.shift() as Batch;
      const run: Promise<void> = this.runBatch(entries, failures)
        .catch((err) => {
          // Should not happen (app calls never throw); retry rather than lose the batch.
          this.log.error("bulk delivery crashed; retrying", { error: err });
          if (!this.closed) this.retry(entries, failures + 1);
        })
        .finally(() => {
          this.inFlight.delete(run);
          this.pump();
        });
      this.inFlight.add(run);
    }
  }

  private async runBatch(entries: Entry[], failures: number): Promise<void> {
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
    if (this.closed) return;
    const failed: Entry[] = [];
    for (const entry of entries) {
      const verdict = verdicts.get(entry.entryId) ?? { outcome: "retry", reason: "no verdict" };
      if (verdict.outcome === "ack") this.deps.tracker.end();
      else if (verdict.outcome === "drop") {
        this.log.warn("bulk entry dropped", { entryId: entry.entryId, reason: verdict.reason });
        this.deadLetterOrEnd(entry);
      } else failed.push(entry);
    }
    if (failed.length > 0) this.retry(failed, failures + 1);
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

  private retry(failed: Entry[], failures: number): void {
    if (failures < this.deps.retry.maxAttempts) {
      const delay = backoffMs(this.deps.retry, failures);
      this.log.info("bulk entries failed; retrying them", {
        count: failed.length,
        attempt: failures,
        delayMs: delay,
      });
      this.timers.set(() => {
        this.ready.unshift({ entries: failed, failures });
        this.pump();
      }, delay);
    } else if (this.subscription.deadLetterTopic !== undefined) {
      this.log.warn("bulk retries exhausted; dead-lettering", { count: failed.length });
      for (const entry of failed) this.deadLetterOrEnd(entry);
    } else {
      const delay = this.deps.redeliverAfterMs;
      this.log.warn("bulk retries exhausted and no dead-letter topic; redelivering later", {
        delayMs: delay,
      });
      this.timers.set(() => {
        for (const entry of failed) this.add(entry.message);
      }, delay);
    }
  }

  private deadLetterOrEnd(entry: Entry): void {
    const dlq = this.subscription.deadLetterTopic;
    if (dlq !== undefined) this.deps.deadLetter(entry.message, dlq);
    this.deps.tracker.end();
  }
}
