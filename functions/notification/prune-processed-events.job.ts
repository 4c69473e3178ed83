/**
 * The inbox's retention: `processed_events` rows older than the redelivery horizon are deleted, oldest
 * first, in batches (processed_events_processed_at_idx), within a time budget. An event id is needed only
 * while the event can still come again: daprd's redeliveries and the outbox relay's re-publishes take
 * minutes, and a consumer group rewound to the oldest offset Kafka keeps reaches back as far as the topic's
 * retention (7 days by default). The horizon (job data `keep_days`, default 14) must stay above that
 * retention; docs/operations.md says so.
 */
import * as v from "valibot";
import { defineJob } from "../../runtime/define.js";

const BATCH = 5_000;
const BUDGET_MS = 20_000;

export default defineJob({
  schema: v.optional(
    v.object({ keep_days: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 14) }),
    { keep_days: 14 },
  ),
  async handle(data, ctx) {
    const keepDays = data?.keep_days ?? 14;
    const startedAt = performance.now();
    let deleted = 0;
    for (;;) {
      const batch = await ctx.sql`
        delete from processed_events where ctid = any (array(
          select ctid from processed_events
          where processed_at < now() - make_interval(days => ${keepDays})
          order by processed_at limit ${BATCH}))`;
      deleted += batch.count;
      if (batch.count < BATCH || performance.now() - startedAt > BUDGET_MS || ctx.signal.aborted) break;
    }
    if (deleted > 0) ctx.log.info("processed events pruned", { deleted, keepDays });
  },
});
