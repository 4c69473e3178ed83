/**
 * Trigger: any message on `task-reminders-dlq`, where Dapr moves what it could not deliver on `task-reminders` (retries
 * exhausted, or dropped as malformed).
 * Effect: the message is kept in `dead_letters` for an operator (`taskbeat dead-letters`, and the
 * `taskbeat_dead_letters` gauge), to be replayed or discarded.
 * Idempotency: one row per event id; a redelivery inserts nothing. Never dropped, never dead-lettered itself.
 */
import * as v from "valibot";
import { defineSubscription } from "../../runtime/define.js";
import { PUBSUB } from "../../runtime/outbox/enqueue.js";
import { keepDeadLetter } from "./_dead-letters.js";

export default defineSubscription({
  pubsub: PUBSUB,
  topic: "task-reminders-dlq",
  // Whatever arrived: a dead letter is kept as it is, including data no schema accepts.
  schema: v.unknown(),
  deadLetterTopic: false,
  async handle(data, ctx) {
    await keepDeadLetter(ctx.sql, "task-reminders-dlq", { ...ctx.event, data });
    ctx.log.warn("dead letter kept", {
      source: "task-reminders-dlq",
      eventId: ctx.event.id,
      eventType: ctx.event.type,
    });
  },
});
