/**
 * Trigger: job `check-due-tasks` (jobs/check-due-tasks.json, every 5 s; ticks can repeat and overlap),
 * and between ticks the claim alarm (functions/_shared/reminders/claim-alarm.ts) at the next reminder's remind_at.
 * Effects: due pending reminders → published, one taskbeat.reminder.due.v1 each on task-reminders via
 * the outbox (those of completed tasks → cancelled); reminders stuck in published for 10 minutes (no
 * mail went out) → a fresh event, or failed past the retry horizon (24 h); then a tick (not an alarm's claim) records
 * its run in the state store.
 * Idempotency key: the reminder's state; the claim takes only pending (or stuck) rows, SKIP LOCKED.
 */
import type { Sql } from "postgres";
import { defineJob, type JobContext } from "../../runtime/define.js";
import { tracedLogger } from "../../runtime/log.js";
import { Span } from "../../runtime/trace.js";
import { claimDueReminders } from "../_shared/reminders/claim.js";
import { ClaimAlarm, msUntilNextReminder } from "../_shared/reminders/claim-alarm.js";
import { recordLastRun } from "./_last-run.js";

// Below the 5 s schedule, so a tick has usually finished before the next one arrives.
const BUDGET_MS = 4_000;

async function claim(ctx: JobContext, trigger: "tick" | "alarm") {
  const started = performance.now();
  const result = await claimDueReminders(ctx, { budgetMs: BUDGET_MS, signal: ctx.signal });
  const { givenUp, ...counts } = result;
  // The end of the retry horizon: someone should look at the mail server (and at these reminders).
  for (const reminder of givenUp)
    ctx.log.error("reminder failed: its mail could not be sent before the retry horizon", { ...reminder });
  if (result.published + result.cancelled + result.republished + result.gaveUp > 0)
    ctx.log.info("due reminders claimed", {
      ...counts,
      trigger,
      ms: Math.round(performance.now() - started),
    });
  return result;
}

/**
 * The context of a claim the alarm starts: the latest tick's, but a trace of its own (a root span, as
 * the scheduler starts one per tick), so its reminder-due events and their mails are not filed under
 * a tick that ran seconds or minutes before.
 */
function onTime(tick: JobContext): JobContext {
  const span = new Span(undefined);
  return {
    ...tick,
    span,
    log: tracedLogger(tick.log, span),
    // `job.traceparent` is what daprd sent with a tick; nothing sent this claim.
    job: { name: tick.job.name },
  };
}

// One alarm per connection pool, which is one per process in production (tests run several apps on
// one pool). It claims with the latest tick's context, so the current app's logger; an app of its own
// (another shutdown signal) replaces it, and it stops when that app begins to shut down.
const alarms = new WeakMap<Sql, { alarm: ClaimAlarm; latest: JobContext }>();

function alarmFor(ctx: JobContext): ClaimAlarm {
  const known = alarms.get(ctx.sql);
  if (known !== undefined && known.latest.stopping === ctx.stopping) {
    known.latest = ctx;
    return known.alarm;
  }
  known?.alarm.stop();
  const state = { latest: ctx };
  const alarm = new ClaimAlarm({
    claim: () => claim(onTime(state.latest), "alarm"),
    lookAhead: () => msUntilNextReminder(state.latest.sql),
    log: ctx.log,
  });
  if (ctx.stopping.aborted) alarm.stop();
  else ctx.stopping.addEventListener("abort", () => alarm.stop(), { once: true });
  alarms.set(ctx.sql, Object.assign(state, { alarm }));
  return alarm;
}

export default defineJob({
  async handle(_data, ctx) {
    const result = await claim(ctx, "tick");
    await recordLastRun(ctx.dapr, ctx.log, {
      at: new Date().toISOString(),
      claimed: result.published,
      cancelled: result.cancelled,
    });
    await alarmFor(ctx).rearm();
  },
});
