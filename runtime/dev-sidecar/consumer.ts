/**
 * One consumer per subscription, delivering one message per request (contract §3), as daprd's Kafka
 * consumer does per partition claim: each partition's messages in offset order, one at a time, while
 * the partitions run concurrently. Handlers therefore see one key's messages in order, and different
 * keys concurrently and out of order.
 *
 * A failed delivery holds its partition: the retries of the inbound policy (exponential backoff) run
 * before anything behind it, as daprd runs them inside `Deliver` (§3.5.1). A message that exhausts the
 * policy goes to the dead-letter topic when one is set, and its partition moves on; otherwise it is
 * redelivered after `redeliverAfterMs`, forever, and the partition stays blocked meanwhile, as under
 * Kafka's default consumer retry (constant 5 s, unlimited, §3.5.3). A message is never lost.
 */
import type { Logger } from "../log.js";
import type { AppChannel } from "./app-channel.js";
import type { BrokerMessage, Consumer } from "./broker.js";
import { CLOUDEVENTS_JSON } from "./envelope.js";
import type { FaultState } from "./faults.js";
import { settleWithin, sleep } from "./http.js";
import { interpretSingle, type Verdict } from "./outcome.js";
import { brokerMetadata, metadataHeaders, prepare } from "./prepare.js";
import { backoffMs, type RetryPolicy, shuffled, Timers } from "./retry.js";
import type { DiscoveredSubscription } from "./subscriptions.js";
import type { Tracker } from "./tracker.js";

export interface ConsumerDeps {
  channel: AppChannel;
  tracker: Tracker;
  faults: FaultState;
  retry: RetryPolicy;
  redeliverAfterMs: number;
  /** Publishes the original bytes and metadata to `topic` on the message's pubsub. */
  deadLetter(message: BrokerMessage, topic: string): void;
  /** This consumer is done with the message (acked, dropped or dead-lettered): the journal may forget it. */
  settled(message: BrokerMessage): void;
  log: Logger;
}

/** How long the reorder fault collects messages before releasing them shuffled. */
const REORDER_WINDOW_MS = 30;

interface Item {
  message: BrokerMessage;
  /** Failed attempts in the current delivery cycle. */
  failures: number;
}

/** One partition as this consumer sees it: what waits, in order, and whether its one slot is taken. */
interface Lane {
  waiting: Item[];
  /** A delivery in flight, or waiting for its retry or redelivery. */
  busy: boolean;
}

export class SingleConsumer implements Consumer {
  private readonly lanes = new Map<number, Lane>();
  private holding: Item[] = [];
  private windowOpen = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Timers();
  private closed = false;
  private readonly log: Logger;

  constructor(
    readonly subscription: DiscoveredSubscription,
    private readonly deps: ConsumerDeps,
  ) {
    this.log = deps.log.child({ pubsub: subscription.pubsubname, topic: subscription.topic });
  }

  enqueue(message: BrokerMessage): void {
    if (this.closed) return;
    this.deps.tracker.begin();
    const item = { message, failures: 0 };
    if (!this.deps.faults.reorder) {
      this.append(item);
      return;
    }
    this.holding.push(item);
    if (this.windowOpen) return;
    this.windowOpen = true;
    this.timers.set(() => {
      this.windowOpen = false;
      // Each message still goes to its own partition, but in shuffled order within it.
      for (const held of shuffled(this.holding)) this.append(held);
      this.holding = [];
    }, REORDER_WINDOW_MS);
  }

  /** Stops dispatching and waits up to `graceMs` for deliveries in flight. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.timers.clear();
    await settleWithin(this.inFlight, graceMs);
  }

  private append(item: Item): void {
    const partition = item.message.partition;
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = { waiting: [], busy: false };
      this.lanes.set(partition, lane);
    }
    lane.waiting.push(item);
    this.next(lane);
  }

  private next(lane: Lane): void {
    if (this.closed || lane.busy) return;
    const item = lane.waiting.shift();
    if (item === undefined) return;
    lane.busy = true;
    this.attempt(lane, item);
  }

  private release(lane: Lane): void {
    lane.busy = false;
    this.next(lane);
  }

  private attempt(lane: Lane, item: Item): void {
    const run: Promise<void> = this.run(lane, item).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async run(lane: Lane, item: Item): Promise<void> {
    await sleep(this.deps.faults.latencyMs);
    let verdict: Verdict;
    try {
      verdict = await this.deliver(item.message);
    } catch (err) {
      this.log.error("delivery crashed; retrying", { error: err });
      verdict = { outcome: "retry", reason: "internal error" };
    }
    if (this.closed) return;
    const { partition, offset } = item.message;
    const fields = { partition, offset, reason: verdict.reason };
    if (verdict.outcome === "ack") {
      this.log.debug("delivered", fields);
      this.deps.settled(item.message);
      this.deps.tracker.end();
      this.release(lane);
    } else if (verdict.outcome === "drop") {
      this.log.warn("message dropped", { ...fields, deadLetterTopic: this.subscription.deadLetterTopic });
      this.deadLetterOrEnd(item);
      this.release(lane);
    } else {
      item.failures++;
      this.retryOrGiveUp(lane, item, fields);
    }
  }

  // Until the message is acked or dead-lettered, its partition stays busy: nothing behind it overtakes.
  private retryOrGiveUp(lane: Lane, item: Item, fields: Record<string, unknown>): void {
    const dlq = this.subscription.deadLetterTopic;
    if (item.failures < this.deps.retry.maxAttempts) {
      const delay = backoffMs(this.deps.retry, item.failures);
      this.log.info("delivery failed; retrying", { ...fields, attempt: item.failures, delayMs: delay });
      this.timers.set(() => this.attempt(lane, item), delay);
    } else if (dlq !== undefined) {
      this.log.warn("retries exhausted; dead-lettering", { ...fields, deadLetterTopic: dlq });
      this.deadLetterOrEnd(item);
      this.release(lane);
    } else {
      const delay = this.deps.redeliverAfterMs;
      this.log.warn("retries exhausted, no dead-letter topic: redelivering later; the partition waits", {
        ...fields,
        delayMs: delay,
      });
      this.timers.set(() => {
        item.failures = 0;
        this.attempt(lane, item);
      }, delay);
    }
  }

  private deadLetterOrEnd(item: Item): void {
    const dlq = this.subscription.deadLetterTopic;
    // Publish first, so the dead-lettered copy is counted before this one stops counting.
    if (dlq !== undefined) this.deps.deadLetter(item.message, dlq);
    this.deps.settled(item.message);
    this.deps.tracker.end();
  }

  private async deliver(message: BrokerMessage): Promise<Verdict> {
    const prepared = prepare(this.subscription, message, this.log);
    if (prepared.kind !== "deliver") {
      return { outcome: prepared.kind === "drop" ? "drop" : "retry", reason: prepared.reason };
    }
    const headers = {
      ...metadataHeaders(brokerMetadata(message)),
      "content-type": CLOUDEVENTS_JSON,
      traceparent: prepared.traceparent,
    };
    const res = await this.deps.channel.call("POST", prepared.path, headers, prepared.body);
    if (res.status === undefined)
      this.log.debug("delivery call failed", { error: res.error, path: prepared.path });
    return interpretSingle(res.status, res.body);
  }
}
