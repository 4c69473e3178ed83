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
 *
 * With a journal (journal.ts; `taskbeat start` keeps one in TASKBEAT_HOME), an accepted message is on
 * disk before publish answers and stays there until every subscription has settled it (acked, dropped or
 * dead-lettered); the messages a crash left unsettled are delivered again at the next start, in publish
 * order, with their partitions and offsets.
 */
import type { BrokerJournal, JournalEntry } from "./journal.js";
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
  /** Its key in the journal, when there is one. */
  seq?: number;
}

export interface Consumer {
  readonly subscription: DiscoveredSubscription;
  enqueue(message: BrokerMessage): void;
}

/**
 * How many accepted messages `published` keeps (tests and experiments read it); past that the oldest tenth
 * goes, so a long `taskbeat start` does not grow without bound. Delivery never reads it.
 */
export const PUBLISHED_LOG_LIMIT = 10_000;

export class Broker {
  readonly published: PublishedMessage[] = [];
  private consumers: Consumer[] | undefined;
  private backlog: BrokerMessage[] = [];
  private readonly partitions: Partitions;
  /** Per journaled message handed to consumers: the settlements still to come. */
  private readonly unsettled = new Map<number, number>();
  private journal: { log: BrokerJournal; pending: JournalEntry[] } | undefined;

  constructor(
    private readonly tracker: Tracker,
    /** Read on every fan-out, so the duplicate fault applies from the next message on. */
    private readonly copies: () => number,
    partitionsPerTopic: number,
    private readonly publishedLimit = PUBLISHED_LOG_LIMIT,
  ) {
    this.partitions = new Partitions(partitionsPerTopic);
  }

  /**
   * Keeps every message from now on in `log` until settled, and queues what it still holds from the last
   * run, in publish order, for the subscriptions. Called once, before the first publish.
   */
  useJournal(log: BrokerJournal, pending: JournalEntry[]): void {
    if (this.journal || this.published.length > 0)
      throw new Error("the journal must come before any message");
    this.journal = { log, pending };
    for (const entry of pending) {
      this.partitions.resume(`${entry.pubsub}\u0000${entry.topic}`, entry.partition, entry.offset);
      this.tracker.begin();
      this.backlog.push({
        pubsub: entry.pubsub,
        topic: entry.topic,
        body: Buffer.from(entry.body, "base64"),
        metadata: entry.metadata,
        ...(entry.contentType === undefined ? {} : { contentType: entry.contentType }),
        partition: entry.partition,
        offset: entry.offset,
        timestamp: entry.timestamp,
        seq: entry.seq,
      });
    }
  }

  /** Messages recovered from the journal at start. */
  get recovered(): number {
    return this.journal?.pending.length ?? 0;
  }

  publish(input: Omit<BrokerMessage, "partition" | "offset" | "timestamp" | "seq">): void {
    const place = this.partitions.append(`${input.pubsub}\u0000${input.topic}`, input.metadata);
    const message: BrokerMessage = { ...input, ...place, timestamp: Date.now() };
    if (this.journal) {
      message.seq = this.journal.log.nextSeq();
      this.journal.log.append({
        seq: message.seq,
        pubsub: message.pubsub,
        topic: message.topic,
        body: message.body.toString("base64"),
        metadata: message.metadata,
        ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
        partition: message.partition,
        offset: message.offset,
        timestamp: message.timestamp,
      });
    }
    if (this.published.length >= this.publishedLimit) {
      this.published.splice(0, Math.ceil(this.publishedLimit / 10));
    }
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

  /**
   * A consumer is done with one copy of `message` (acked, dropped or dead-lettered). Once every copy
   * handed out is, the journal forgets it.
   */
  settled(message: BrokerMessage): void {
    const seq = message.seq;
    if (seq === undefined || !this.journal) return;
    const left = (this.unsettled.get(seq) ?? 1) - 1;
    if (left > 0) {
      this.unsettled.set(seq, left);
      return;
    }
    this.unsettled.delete(seq);
    this.journal.log.settled(seq);
  }

  /** Makes what was published so far durable (one disk flush per publish request, not per message). */
  flush(): void {
    this.journal?.log.flush();
  }

  closeJournal(): void {
    this.journal?.log.close();
  }

  private fanOut(message: BrokerMessage): void {
    const targets = (this.consumers ?? []).filter(
      (consumer) =>
        consumer.subscription.pubsubname === message.pubsub && consumer.subscription.topic === message.topic,
    );
    const copies = this.copies();
    if (message.seq !== undefined && this.journal) {
      // Counted before the first enqueue: a consumer may settle a copy before the next is handed out.
      if (targets.length === 0) this.journal.log.settled(message.seq);
      else this.unsettled.set(message.seq, targets.length * copies);
    }
    for (const consumer of targets) for (let i = 0; i < copies; i++) consumer.enqueue(message);
  }
}
