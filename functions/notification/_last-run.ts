/**
 * check-due-tasks' last run, kept in the Dapr state store. Keys are per app-id and jobs are shared by
 * an app-id's replicas, so every replica reads the app's last run, whichever replica ran it. Written
 * after each successful run, read by the group's `/readyz` check (_readiness.ts).
 */
import * as v from "valibot";
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { Logger } from "../../runtime/log.js";

export const STATE_STORE = "statestore";
export const LAST_RUN_KEY = "check-due-tasks.last-run";

const LastRunSchema = v.object({
  /** ISO 8601: when the run finished. */
  at: v.pipe(v.string(), v.isoTimestamp()),
  /** Reminders published (one event each). */
  claimed: v.number(),
  /** Reminders cancelled because their task was completed. */
  cancelled: v.number(),
});
export type LastRun = v.InferOutput<typeof LastRunSchema>;

/** A failure is logged, never thrown: the claim has committed, and a retried tick would only claim nothing. */
export async function recordLastRun(dapr: DaprClient, log: Logger, run: LastRun): Promise<void> {
  try {
    await dapr.state.save(STATE_STORE, [{ key: LAST_RUN_KEY, value: run }]);
  } catch (error) {
    log.warn("could not record the last run in the state store", { store: STATE_STORE, error });
  }
}

/** The last recorded run; undefined when there is none, or when the stored value is not one. */
export async function readLastRun(dapr: DaprClient, signal?: AbortSignal): Promise<LastRun | undefined> {
  const entry = await dapr.state.get(STATE_STORE, LAST_RUN_KEY, signal ? { signal } : {});
  const parsed = v.safeParse(LastRunSchema, entry?.value);
  return parsed.success ? parsed.output : undefined;
}
