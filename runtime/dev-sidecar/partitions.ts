/**
 * The partitions of every topic, as Kafka's default partitioner fills them: a message with a record key
 * always goes to the partition its key hashes to, so one key's messages stay in order; keyless messages
 * are spread round-robin. Offsets count from 0 in each partition. Kafka hashes with murmur2; any stable
 * hash gives the same guarantee, so this uses 32-bit FNV-1a.
 */

/** The Kafka record key: publish metadata `partitionKey`, or its alias `__key` (contract §1.1). */
export function recordKey(metadata: Record<string, string>): string | undefined {
  return metadata.partitionKey ?? metadata.__key;
}

interface TopicPartitions {
  nextOffsets: number[];
  /** Where the next keyless message goes. */
  nextKeyless: number;
}

export class Partitions {
  /** Per pubsub+topic. */
  private readonly topics = new Map<string, TopicPartitions>();

  constructor(private readonly count: number) {}

  /** Records that `offset` of `partition` is taken (a message recovered from the journal). */
  resume(topicId: string, partition: number, offset: number): void {
    const topic = this.topic(topicId);
    topic.nextOffsets[partition] = Math.max(topic.nextOffsets[partition] ?? 0, offset + 1);
  }

  private topic(topicId: string): TopicPartitions {
    let topic = this.topics.get(topicId);
    if (!topic) {
      topic = { nextOffsets: Array<number>(this.count).fill(0), nextKeyless: 0 };
      this.topics.set(topicId, topic);
    }
    return topic;
  }

  /** Picks the partition of a new message of `topicId`, and its offset there. */
  append(topicId: string, metadata: Record<string, string>): { partition: number; offset: number } {
    const topic = this.topic(topicId);
    const key = recordKey(metadata);
    let partition: number;
    if (key !== undefined) partition = fnv1a(key) % this.count;
    else {
      partition = topic.nextKeyless;
      topic.nextKeyless = (partition + 1) % this.count;
    }
    const offset = topic.nextOffsets[partition] ?? 0;
    topic.nextOffsets[partition] = offset + 1;
    return { partition, offset };
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
