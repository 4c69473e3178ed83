/**
 * Dead letters in PostgreSQL: messages Dapr moved to a `-dlq` topic (kept by the dead-letter subscriptions
 * of this group) and outbox rows the relay gave up on (`outbox_dead`, runtime/outbox/relay.ts). One id for
 * both, the CloudEvent id, which is also what the logs call `eventId`. A replay puts the event back into the
 * outbox with its id unchanged, in one transaction with removing the dead letter: the relay publishes it,
 * and consumers that did handle it after all skip it (their inbox knows the id).
 */
import type { Sql } from "postgres";
import type { EventEnvelope } from "../../runtime/cloudevent.js";

export interface DeadLetter {
  source: string;
  id: string;
  topic: string;
  type: string | null;
  subject: string | null;
  dead_at: Date;
  /** outbox_dead only: why the sidecar refused it, and how often. */
  last_error: string | null;
  attempts: number | null;
}

/** Keeps one message that arrived on a dead-letter topic; a redelivery of it changes nothing. */
export async function keepDeadLetter(
  sql: Sql,
  source: string,
  event: EventEnvelope & { data?: unknown },
): Promise<void> {
  const topic = source.replace(/-dlq$/, "");
  // The envelope as first published: daprd rewrites topic and pubsubname on each publish anyway.
  const { topic: _topic, pubsubname, ...kept } = event as EventEnvelope & Record<string, unknown>;
  await sql`
    insert into dead_letters (source, event_id, topic, pubsub, event)
    values (${source}, ${event.id}, ${topic}, ${String(pubsubname ?? "pubsub")}, ${sql.json(kept as never)})
    on conflict (source, event_id) do nothing`;
}

const listing = (sql: Sql, id: string | null, limit: number) => sql<DeadLetter[]>`
  select * from (
    select source, event_id as id, topic, event->>'type' as type, event->>'subject' as subject, dead_at,
      null::text as last_error, null::int as attempts
    from dead_letters where ${id}::text is null or event_id = ${id}
    union all
    select 'outbox', id::text, topic, event->>'type', event->>'subject', dead_at, last_error, attempts
    from outbox_dead where ${id}::text is null or id::text = ${id}
  ) d order by dead_at desc limit ${limit}`;

export const listDeadLetters = (sql: Sql, limit = 100) => listing(sql, null, limit);

/** Every dead letter with this event id, with the event itself. */
export async function showDeadLetter(sql: Sql, id: string): Promise<Array<DeadLetter & { event: unknown }>> {
  return sql<Array<DeadLetter & { event: unknown }>>`
    select source, event_id as id, topic, event->>'type' as type, event->>'subject' as subject, dead_at,
      null::text as last_error, null::int as attempts, event
    from dead_letters where event_id = ${id}
    union all
    select 'outbox', id::text, topic, event->>'type', event->>'subject', dead_at, last_error, attempts, event
    from outbox_dead where id::text = ${id}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Puts the event back into the outbox (same id, so consumers de-duplicate) and removes its dead letters,
 * in one transaction. Returns how many dead letters it replayed: 0 when there is none with that id.
 */
export async function replayDeadLetter(sql: Sql, id: string): Promise<number> {
  if (!UUID.test(id)) return 0;
  return sql.begin(async (tx) => {
    // An event still (or again) waiting in the outbox goes out from there; one copy is enough.
    const [queued] = await tx`select 1 from outbox where id = ${id}::uuid`;
    const fromOutbox = await tx<{ id: string }[]>`
      with d as (delete from outbox_dead where id = ${id}::uuid returning *)
      insert into outbox (id, pubsub, topic, partition_key, event)
      select id, pubsub, topic, partition_key, event from d where ${!queued}
      returning id`;
    const fromDlq = await tx<{ topic: string; pubsub: string; event: Record<string, unknown> }[]>`
      delete from dead_letters where event_id = ${id} returning topic, pubsub, event`;
    const first = fromDlq[0];
    if (first && !queued && fromOutbox.length === 0) {
      // As it was dead-lettered: its consumers continue the trace it was published in.
      const event = first.event;
      await tx`
        insert into outbox (id, pubsub, topic, partition_key, event)
        values (${id}::uuid, ${first.pubsub}, ${first.topic}, ${(first.event.subject as string | undefined) ?? null},
          ${tx.json(event as never)})`;
    }
    return fromOutbox.length + fromDlq.length;
  });
}

/** Deletes the dead letters with this event id; returns how many. */
export async function discardDeadLetter(sql: Sql, id: string): Promise<number> {
  return sql.begin(async (tx) => {
    const a = await tx`delete from dead_letters where event_id = ${id}`;
    const b = UUID.test(id) ? await tx`delete from outbox_dead where id = ${id}::uuid` : { count: 0 };
    return a.count + b.count;
  });
}
