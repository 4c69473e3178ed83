/**
 * Publishing one claim's rows of one (pubsub, topic) through the sidecar, in waves of at most one row
 * per partition key, so a broker that refuses one entry cannot let the next entry of that key through
 * ahead of it. The caller (relay.ts) owns the transaction and decides what happens to each row.
 */
import type { CloudEvent } from "../cloudevent.js";
import type { DaprClient } from "../dapr/client.js";
import type { Logger } from "../log.js";

export interface OutboxRow {
  seq: string;
  id: string;
  pubsub: string;
  topic: string;
  partition_key: string | null;
  event: CloudEvent;
  /** An earlier row of the same pubsub, topic and key is still in the outbox and not in this claim. */
  blocked: boolean;
}

export interface GroupOutcome {
  accepted: string[];
  failed: Array<{ seq: string; error: string }>;
}

const ERROR_LENGTH = 300;

/** One (pubsub, topic): bulk requests of at most one row per partition key, in seq order. */
export async function publishGroup(dapr: DaprClient, rows: OutboxRow[], log?: Logger): Promise<GroupOutcome> {
  const outcome: GroupOutcome = { accepted: [], failed: [] };
  const first = rows[0] as OutboxRow;
  const failedKeys = new Set<string>();
  let pending = rows;
  while (pending.length > 0) {
    const wave: OutboxRow[] = [];
    const later: OutboxRow[] = [];
    const keys = new Set<string>();
    for (const row of pending) {
      const key = row.partition_key;
      if (key === null) wave.push(row);
      else if (failedKeys.has(key)) continue;
      else if (keys.has(key)) later.push(row);
      else {
        keys.add(key);
        wave.push(row);
      }
    }
    if (wave.length === 0) break;
    const refused = await publishWave(dapr, first.pubsub, first.topic, wave);
    for (const row of wave) {
      const error = refused.get(row.id);
      if (error === undefined) {
        outcome.accepted.push(row.seq);
        continue;
      }
      outcome.failed.push({ seq: row.seq, error });
      if (row.partition_key !== null) failedKeys.add(row.partition_key);
    }
    if (refused.size > 0) {
      const error = refused.values().next().value;
      log?.warn("outbox publish failed; rows kept for a retry", {
        pubsub: first.pubsub,
        topic: first.topic,
        rows: refused.size,
        error,
      });
    }
    pending = later;
  }
  return outcome;
}

/** Returns the refused rows' ids with a short reason; a whole-request failure refuses every row. */
async function publishWave(
  dapr: DaprClient,
  pubsub: string,
  topic: string,
  wave: OutboxRow[],
): Promise<Map<string, string>> {
  const entries = wave.map((row) => ({
    event: row.event,
    entryId: row.id,
    ...(row.partition_key === null ? {} : { partitionKey: row.partition_key }),
  }));
  try {
    const { failed } = await dapr.publishBulk(pubsub, topic, entries);
    return new Map(failed.map((f) => [f.entryId, shortError(f.error)]));
  } catch (error) {
    const reason = shortError(error instanceof Error ? error.message : String(error));
    return new Map(wave.map((row) => [row.id, reason]));
  }
}

/** The first line, bounded: enough to tell an outage from a refusal. DaprError messages carry no token. */
function shortError(message: string): string {
  const line = message.split("\n", 1)[0] ?? "";
  return line.length > ERROR_LENGTH ? `${line.slice(0, ERROR_LENGTH - 1)}…` : line;
}
