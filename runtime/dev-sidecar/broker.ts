/**
 * The in-memory broker behind every pub/sub component of the local sidecar. It records each accepted
 * message (`published`), and hands each one to every subscription of its pubsub+topic: each
 * subscription is its own consumer group, so all of them get every message.
 *
 * Like Kafka, every topic has a fixed number of partitions: a message is appended to the partition its
 * record key picks (see partitions.ts), and offsets count from 0 in each partition. Consumers deliver
 * each partition in order, one delivery or batch at a time.
 *
 * Messages published before the app's subscriptions are known are kept and delivered once they are,
 * as Kafka keeps them for a consumer group that has not started yet; nothing published is lost.
 */
import { Partitions } from "./partitions.js";
import type { DiscoveredSubscription } from "./subscriptions.js";
import type { Tracker } from "./tracker.js";

export interface PublishedMessage {
  pubsub: string;
  topic: string;
  /** The exact bytes stored by the broker (the envelope JSON, or the raw payload), as a string. */
  body: string;
  /** Publish metadata as the broker carries it (`metadata.*` query parameters, or the bulk entry's). */
  metadata: Record<string, string>;
  /** `application/cloudevents+json` for enveloped messages; the request's Content-Type for rawPayload. */
  contentType?: string;
}

export interface BrokerMessage {
  pubsub: string;
  topic: string;
  body: Buffer;
  metadata: Record<string, string>;
  contentType?: string;
  /** Partition, position in that partition, and publish time: Kafka's `__partition`, `__offset`, `__timestamp`. */
  partition: number;
  offset: number;
  timestamp: number;
}

export interface Consumer {
  readonly subscription: DiscoveredSubscription;
  enqueue(message: BrokerMessage): void;
}

export class Broker {
  readonly published: PublishedMessage[] = [];
  private consumers: Consumer[] | undefined;
  private backlog: BrokerMessage[] = [];
  private readonly partitions: Partitions;

  constructor(
    private readonly tracker: Tracker,
    /** Read on every fan-out, so the duplicate fault applies from the next message on. */
    private readonly copies: () => number,
    partitionsPerTopic: number,
  ) {
    this.partitions = new Partitions(partitionsPerTopic);
  }

  publish(input: Omit<BrokerMessage, "partition" | "offset" | "timestamp">): void {
    const place = this.partitions.append(`${input.pubsub}\u0000${input.topic}`, input.metadata);
    const message: BrokerMessage = { ...input, ...place, timestamp: Date.now() };
    this.published.push({
      pubsub: message.pubsub,
      topic: message.topic,
      body: message.body.toString("utf8"),
      metadata: { ...message.metadata },
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    });
    if (this.consumers) this.fanOut(message);
    else {
      this.tracker.begin();
      this.backlog.push(message);
    }
  }

  /** Starts delivery: called once the app's subscriptions are loaded. */
  attach(consumers: Consumer[]): void {
    this.consumers = consumers;
    const backlog = this.backlog;
    this.backlog = [];
    for (const message of backlog) {
      this.fanOut(message);
      this.tracker.end();
    }
  }

  /** Drops what was never delivered (close before the app came up). */
  discardBacklog(): void {
    for (const _ of this.backlog) this.tracker.end();
    this.backlog = [];
  }

  private fanOut(message: BrokerMessage): void {
    for (const consumer of this.consumers ?? []) {
      const sub = consumer.subscription;
      if (sub.pubsubname !== message.pubsub || sub.topic !== message.topic) continue;
      for (let i = 0; i < this.copies(); i++) consumer.enqueue(message);
    }
  }
}
