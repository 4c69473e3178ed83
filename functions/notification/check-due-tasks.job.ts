/**
 * Trigger: job `check-due-tasks` (jobs/check-due-tasks.json, every 5 s; ticks can repeat and overlap).
 * Effects: due pending reminders → published, one taskbeat.reminder.due.v1 each on task-reminders via
 * the outbox (those of completed tasks → cancelled); reminders stuck in published for 10 minutes (no
 * mail went out) → a fresh event, or failed after 10 attempts; then the run is recorded in the state store.
 * Idempotency key: the reminder's state; the claim takes only pending (or stuck) rows, SKIP LOCKED.
 */
import { defineJob } from "../../runtime/define.js";
import { claimDueReminders } from "../../runtime/reminders/claim.js";
import { recordLastRun } from "./_last-run.js";

// Below the 5 s schedule, so a tick has usually finished before the next one arrives.
const BUDGET_MS = 4_000;

export default defineJob({
  name: "check-due-tasks",
  async handle(_data, ctx) {
    const result = await claimDueReminders(ctx, { budgetMs: BUDGET_MS, signal: ctx.signal });
    if (result.published + result.cancelled + result.republished + result.gaveUp > 0)
      ctx.log.info("due reminders claimed", { ...result });
    await recordLastRun(ctx.dapr, ctx.log, {
      at: new Date().toISOString(),
      claimed: result.published,
      cancelled: result.cancelled,
    });
  },
});
