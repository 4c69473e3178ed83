/**
 * One consumer per subscription, delivering one message per request (contract §3). Messages start in
 * publish order, with up to `concurrency` deliveries in flight per subscription: handlers must cope with
 * concurrent and out-of-order completion, as they must behind a Kafka consumer with several partitions.
 * Set `concurrency: 1` for strict ordering.
 *
 * Retries follow the inbound policy (exponential backoff). A message that exhausts it goes to the
 * dead-letter topic when one is set; otherwise the broker redelivers it later (`redeliverAfterMs`, like
 * Kafka's constant 5 s consumer retry), forever: a message is never lost.
 */
import type { Logger } from "../log.js";
import type { AppChannel } from "./app-channel.js";
import type { BrokerMessage, Consumer } from "./broker.js";
import { CLOUDEVENTS_JSON } from "./envelope.js";
import type { FaultState } from "./faults.js";
import { sleep } from "./http.js";
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
  concurrency: number;
  /** Publishes the original bytes and metadata to `topic` on the message's pubsub. */
  deadLetter(message: BrokerMessage, topic: string): void;
  log: Logger;
}

/** How long the reorder fault collects messages before releasing them shuffled. */
const REORDER_WINDOW_MS = 30;

interface Item {
  message: BrokerMessage;
  /** Failed attempts in the current delivery cycle. */
  failures: number;
}

export class SingleConsumer implements Consumer {
  private ready: Item[] = [];
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
      this.ready.push(item);
      this.pump();
      return;
    }
    this.holding.push(item);
    if (this.windowOpen) return;
    this.windowOpen = true;
    this.timers.set(() => {
      this.windowOpen = false;
      this.ready.push(...shuffled(this.holding));
      this.holding = [];
      this.pump();
    }, REORDER_WINDOW_MS);
  }

  /** Stops dispatching and waits up to `graceMs` for deliveries in flight. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.timers.clear();
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(graceMs)]);
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.deps.concurrency && this.ready.length > 0) {
      const item = this.ready.shift() as Item;
      const run: Promise<void> = this.run(item).finally(() => {
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async run(item: Item): Promise<void> {
    await sleep(this.deps.faults.latencyMs);
    let verdict: Verdict;
    try {
      verdict = await this.deliver(item.message);
    } catch (err) {
      this.log.error("delivery crashed; retrying", { error: err });
      verdict = { outcome: "retry", reason: "internal error" };
    }
    if (this.closed) return;
    const fields = { offset: item.message.offset, reason: verdict.reason };
    if (verdict.outcome === "ack") {
      this.log.debug("delivered", fields);
      this.deps.tracker.end();
    } else if (verdict.outcome === "drop") {
      this.log.warn("message dropped", { ...fields, deadLetterTopic: this.subscription.deadLetterTopic });
      this.deadLetterOrEnd(item);
    } else {
      item.failures++;
      this.retryOrGiveUp(item, fields);
    }
  }

  private retryOrGiveUp(item: Item, fields: Record<string, unknown>): void {
    const dlq = this.subscription.deadLetterTopic;
    if (item.failures < this.deps.retry.maxAttempts) {
      const delay = backoffMs(this.deps.retry, item.failures);
      this.log.info("delivery failed; retrying", { ...fields, attempt: item.failures, delayMs: delay });
      this.timers.set(() => {
        this.ready.unshift(item);
        this.pump();
      }, delay);
    } else if (dlq !== undefined) {
      this.log.warn("retries exhausted; dead-lettering", { ...fields, deadLetterTopic: dlq });
      this.deadLetterOrEnd(item);
    } else {
      const delay = this.deps.redeliverAfterMs;
      this.log.warn("retries exhausted, no dead-letter topic: the broker redelivers later", {
        ...fields,
        delayMs: delay,
      });
      this.timers.set(() => {
        item.failures = 0;
        this.ready.push(item);
        this.pump();
      }, delay);
    }
  }

  private deadLetterOrEnd(item: Item): void {
    const dlq = this.subscription.deadLetterTopic;
    // Publish first, so the dead-lettered copy is counted before this one stops counting.
    if (dlq !== undefined) this.deps.deadLetter(item.message, dlq);
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
