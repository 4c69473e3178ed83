/**
 * `/readyz` of the notification group: is check-due-tasks running? Ready when the last recorded run
 * (any replica's, see _last-run.ts) is at most STALE_AFTER_MS old, three ticks of the job's schedule;
 * before any such run, ready during STARTUP_GRACE_MS after start, which covers the sidecar wait, job
 * registration and the first tick. A stale record from before this start counts as no run. daprd
 * checks app health on `/healthz`, not here, so "not ready" never stops the ticks that would fix it.
 */
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { ReadinessCheck } from "../../runtime/router/health.js";
import { readLastRun } from "./_last-run.js";

/** `@every 5s` in jobs/check-due-tasks.json; a test keeps the two in step. */
export const SCHEDULE_MS = 5_000;
export const STALE_AFTER_MS = 3 * SCHEDULE_MS;
export const STARTUP_GRACE_MS = 30_000;

export interface NotificationReadinessOptions {
  staleAfterMs?: number;
  startupGraceMs?: number;
  /** Milliseconds since the epoch; for tests. */
  now?: () => number;
}

/** Answers `{ ok, lastRunAt, claimed }` (null before the first recorded run); errors mean not ready. */
export function notificationReadiness(
  dapr: DaprClient,
  options: NotificationReadinessOptions = {},
): ReadinessCheck {
  const now = options.now ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;
  const startupGraceMs = options.startupGraceMs ?? STARTUP_GRACE_MS;
  const startedAt = now();
  return {
    name: "check-due-tasks",
    async check(signal) {
      const last = await readLastRun(dapr, signal);
      const at = now();
      const fresh = last !== undefined && at - Date.parse(last.at) <= staleAfterMs;
      const starting = at - startedAt < startupGraceMs;
      return { ok: fresh || starting, lastRunAt: last?.at ?? null, claimed: last?.claimed ?? null };
    },
  };
}
