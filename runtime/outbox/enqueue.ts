/**
 * Puts CloudEvents into the outbox inside the caller's transaction. The outbox row id is the
 * CloudEvent id, so however often the relay re-publishes a row, consumers see one id.
 */
import { randomUUID } from "node:crypto";
import type { TransactionSql } from "postgres";
import { type CloudEvent, createCloudEvent } from "../cloudevent.js";
import type { Span } from "../trace.js";

export const PUBSUB = "pubsub";

export const TOPICS = {
  taskEvents: "task-events",
  taskReminders: "task-reminders",
  taskRecurrence: "task-recurrence",
} as const;

export interface NewOutboxEvent {
  topic: string;
  /** e.g. `taskbeat.task.created.v1`. */
  type: string;
  /** The task (or reminder) the event is about; also the partition key, so its events stay in order. */
  subject: string;
  data: unknown;
  pubsub?: string;
}

/**
 * The CloudEvent stored in outbox row `id`. Written while a request is handled, it carries that request's
 * span (`ctx.span`, runtime/trace.ts) as `traceparent` and `traceid` (daprd keeps a passed-through envelope's
 * `traceparent` only when `traceid` is present too, contract §1.1) and `tracestate`: the relay publishes
 * the row as it is, so its consumers continue the trace of the call that wrote it, however late it goes out.
 */
export const outboxCloudEvent = <TData>(
  id: string,
  event: { type: string; subject: string; data: TData },
  span: Span | undefined,
) => {
  const cloudEvent = createCloudEvent({
    id,
    type: event.type,
    source: "taskbeat",
    subject: event.subject,
    data: event.data,
    ...(span ? { traceparent: span.traceparent } : {}),
  });
  if (!span) return cloudEvent;
  const traced: CloudEvent<TData> & { traceid?: string } = cloudEvent;
  traced.traceid = cloudEvent.traceparent;
  if (span.tracestate !== undefined) traced.tracestate = span.tracestate;
  return traced;
};

/**
 * The envelope of `type` for a statement that inserts its outbox rows itself (INSERT … SELECT, e.g.
 * reminders/announce.ts): outboxCloudEvent's, with `id`, `subject` and `data` left for the statement
 * to set per row (`template || jsonb_build_object(…)`), so both paths share one envelope.
 */
export const outboxCloudEventTemplate = (type: string, span: Span | undefined): CloudEvent<null> =>
  outboxCloudEvent("", { type, subject: "", data: null }, span);

/** Inserts `events`, each carrying `span` (the request's, or undefined outside one: start-up, a command). */
export async function enqueueEvents(
  tx: TransactionSql,
  events: readonly NewOutboxEvent[],
  span: Span | undefined,
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => {
    const id = randomUUID();
    return {
      id,
      pubsub: event.pubsub ?? PUBSUB,
      topic: event.topic,
      partition_key: event.subject,
      event: tx.json(outboxCloudEvent(id, event, span) as never),
    };
  });
  await tx`insert into outbox ${tx(rows as never, "id", "pubsub", "topic", "partition_key", "event")}`;
}
