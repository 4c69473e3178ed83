/**
 * The outbox relay's backstop: every process publishes right after its own commits (Relay.kick), and
 * this tick picks up whatever that missed — rows refused by the sidecar once their backoff is over,
 * rows of a process that died before publishing, rows deferred to keep a partition's order.
 */
import { defineJob } from "../../runtime/define.js";
import { drainOutbox } from "../../runtime/outbox/relay-runner.js";

// Below the 10 s schedule, so one tick has finished before the next one arrives.
const BUDGET_MS = 8_000;

export default defineJob({
  async handle(_data, ctx) {
    const result = await drainOutbox(ctx.sql, ctx.dapr, { log: ctx.log, budgetMs: BUDGET_MS });
    if (result.published + result.failed > 0) ctx.log.info("outbox relayed", { ...result });
  },
});
