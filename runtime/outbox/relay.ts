/**
 * Publishes outbox rows through the sidecar and deletes the ones it accepted. One run claims a short
 * batch with `FOR UPDATE SKIP LOCKED` and holds those row locks, in one transaction, across the publish
 * calls, so several relays (replicas, the after-commit kick and the backstop job) never publish the same
 * row at once, and a crash before commit leaves the rows to be published again: at-least-once, with the
 * row id as CloudEvent id for consumers to de-duplicate on. The price is a transaction (and, on the
 * embedded single-session database, the process's only connection) held for one sidecar round trip
 * per wave (see below), each bounded by DAPR_TIMEOUT_MS: keep batches short.
 *
 * Order per partition key (a task's events, within one topic) is kept three ways:
 * - a bulk request carries at most one row per key ("waves"), so a broker that refuses one entry
 *   cannot let the next entry of that key through ahead of it; after a failure the key's later rows
 *   wait, untouched;
 * - a row is not claimed while an earlier row of its key waits for a retry (`next_attempt_at` ahead);
 * - a claimed row whose key has an earlier row this run did not claim (another relay holds it) is
 *   left for a later run ("deferred").
 * Order is seq order, i.e. insert order; writes to one task are serialised by its row lock, so its
 * events also commit in seq order.
 *
 * A row refused `maxAttempts` times is moved to `outbox_dead` and logged as an error: one event the
 * broker will never take must not hold its task's later events for ever. Its order is given up for it.
 */
import type { Sql, TransactionSql } from "postgres";
import type { DaprClient } from "../dapr/client.js";
import type { Logger } from "../log.js";
import { type GroupOutcome, type OutboxRow, publishGroup } from "./publish.js";

/**
 * With the default backoff (1, 2, 4 … 32 s, then a minute each) about 55 minutes of refusals: enough
 * to ride out a sidecar restart or a broker failover, which refuse every row, not only the poisoned one.
 */
export const DEFAULT_MAX_ATTEMPTS = 60;

export interface RelayOptions {
  /** Rows claimed per transaction; they stay locked while being published. Default 100. */
  batchSize?: number;
  log?: Logger;
  /** Delay before the first retry of a refused row; doubles per attempt up to `retryMaxMs`. Default 1000. */
  retryInitialMs?: number;
  /** Longest delay between retries. Default 60000. */
  retryMaxMs?: number;
  /** Refusals after which a row moves to `outbox_dead`. Default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /**
   * Publish only rows of these topics (OUTBOX_RELAY_TOPICS): under per-app pub/sub scopes a group's sidecar
   * may publish its own topics only, and a row of another topic would be refused until it is dead. Unset: all.
   */
  topics?: readonly string[];
}

export interface RelayResult {
  /** Rows the sidecar accepted; they are deleted. */
  published: number;
  /** Rows the sidecar refused or did not answer for; kept, with attempts, last_error and a backoff. */
  failed: number;
  /** Rows claimed but not attempted, to keep their partition's order; a later run takes them. */
  deferred: number;
  /** Rows refused for the `maxAttempts`th time: moved to `outbox_dead`. */
  deadLettered: number;
}

export async function relayOutbox(
  sql: Sql,
  dapr: DaprClient,
  options: RelayOptions = {},
): Promise<RelayResult> {
  const batchSize = options.batchSize ?? 100;
  return sql.begin(async (tx) => {
    const rows = await claim(tx, batchSize, options.topics);
    const result: RelayResult = { published: 0, failed: 0, deferred: 0, deadLettered: 0 };
    if (rows.length === 0) return result;

    const groups = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      if (row.blocked) continue;
      const key = `${row.pubsub}\u0000${row.topic}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const outcomes = await Promise.all(
      [...groups.values()].map((group) => publishGroup(dapr, group, options.log)),
    );
    const accepted = outcomes.flatMap((o) => o.accepted);
    const failed = outcomes.flatMap((o) => o.failed);

    if (accepted.length > 0) await tx`delete from outbox where seq in ${tx(accepted)}`;
    const dead = failed.length > 0 ? await recordFailures(tx, failed, options) : 0;
    result.published = accepted.length;
    result.failed = failed.length - dead;
    result.deadLettered = dead;
    result.deferred = rows.length - accepted.length - failed.length;
    return result;
  });
}

interface DeadRow {
  id: string;
  topic: string;
  partition_key: string | null;
  attempts: number;
  last_error: string;
}

/** Counts the refusals and backs the rows off; moves the ones out of attempts to `outbox_dead`. */
async function recordFailures(
  tx: TransactionSql,
  failed: GroupOutcome["failed"],
  options: RelayOptions,
): Promise<number> {
  const initial = options.retryInitialMs ?? 1_000;
  const max = options.retryMaxMs ?? 60_000;
  // `attempts` on the right is the value before this failure: 1×, 2×, 4×… the initial delay.
  await tx`
    update outbox set
      attempts = outbox.attempts + 1,
      last_error = f.error,
      next_attempt_at = now() + least(${max}::float8, ${initial}::float8 * power(2, least(outbox.attempts, 30)))
        * interval '1 millisecond'
    from (values ${tx(failed.map((f) => [f.seq, f.error]))}) as f (seq, error)
    where outbox.seq = f.seq::bigint`;
  const dead = await tx<DeadRow[]>`
    with dead as (
      delete from outbox
      where seq in ${tx(failed.map((f) => f.seq))} and attempts >= ${options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS}
      returning seq, id, pubsub, topic, partition_key, event, created_at, attempts, last_error, next_attempt_at
    )
    insert into outbox_dead
      (seq, id, pubsub, topic, partition_key, event, created_at, attempts, last_error, next_attempt_at)
    select * from dead
    returning id, topic, partition_key, attempts, last_error`;
  for (const row of dead) {
    options.log?.error("outbox row dead-lettered: moved to outbox_dead, its key's later rows go on", {
      id: row.id,
      topic: row.topic,
      partitionKey: row.partition_key,
      attempts: row.attempts,
      error: row.last_error,
    });
  }
  return dead.length;
}

/**
 * Ready rows in seq order, skipping rows other relays hold and keys whose earlier row waits for a retry.
 * `blocked` is computed in the same statement: its snapshot still shows a row another relay holds,
 * and a row that relay has deleted and committed was published before it was deleted.
 */
function claim(tx: TransactionSql, batchSize: number, topics?: readonly string[]): Promise<OutboxRow[]> {
  return tx<OutboxRow[]>`
    with claimed as (
      select o.seq, o.id, o.pubsub, o.topic, o.partition_key, o.event
      from outbox o
      where o.next_attempt_at <= now()
        ${topics === undefined ? tx`` : tx`and o.topic = any(${topics as string[]}::text[])`}
        and not exists (
          select 1 from outbox w
          where w.partition_key = o.partition_key and w.topic = o.topic and w.pubsub = o.pubsub
            and w.seq < o.seq and w.next_attempt_at > now()
        )
      order by o.seq
      limit ${batchSize}
      for update of o skip locked
    )
    select c.*, exists (
      select 1 from outbox e
      where e.partition_key = c.partition_key and e.topic = c.topic and e.pubsub = c.pubsub
        and e.seq < c.seq and e.seq not in (select seq from claimed)
    ) as blocked
    from claimed c
    order by c.seq`;
}
