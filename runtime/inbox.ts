/**
 * The consumer inbox (`processed_events`): which events a consumer has already handled, recorded in the same
 * transaction as the effect, so a redelivered event (at-least-once: Dapr, Kafka and the relay all redeliver)
 * changes nothing the second time. One module, so every consumer de-duplicates the same way.
 */
import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

/** Records `eventId` for `consumer`; false when it was already there (a redelivery: skip the effect). */
export async function firstDelivery(tx: Db, consumer: string, eventId: string): Promise<boolean> {
  const rows = await tx`
    insert into processed_events (consumer, event_id) values (${consumer}, ${eventId})
    on conflict do nothing returning 1`;
  return rows.length > 0;
}

/** Which of `eventIds` the consumer has already handled (for batches that decide per event). */
export async function seenEvents(
  tx: Db,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await tx<{ event_id: string }[]>`
    select event_id from processed_events
    where consumer = ${consumer} and event_id = any(${eventIds as string[]}::text[])`;
  return new Set(rows.map((row) => row.event_id));
}

/** Records every one of `eventIds` as handled (those already there stay as they are). */
export async function recordEvents(tx: Db, consumer: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await tx`
    insert into processed_events (consumer, event_id)
    select ${consumer}, unnest(${eventIds as string[]}::text[])
    on conflict do nothing`;
}
