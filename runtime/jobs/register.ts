/**
 * Registers a group's jobs with the scheduler at every start. Jobs are shared by all replicas of an
 * app-id (contract §5.1), so every replica re-registers the same specs with `overwrite: true`: the
 * last writer wins with identical content, and a changed spec file takes effect on the next rollout.
 */
import { type DaprClient, isTransientDaprError, type JobSpec } from "../dapr/client.js";
import { sleep } from "../dapr/signals.js";
import type { Logger } from "../log.js";

export interface RegisterJobsOptions {
  /** Tries per job before giving up on a transient failure. Default 5. */
  attempts?: number;
  /** First backoff; doubles per retry. Default 250 ms (5 tries span ~4 s). */
  backoffMs?: number;
  signal?: AbortSignal;
}

/**
 * Schedules each named job from its spec. A name without a spec fails before anything is scheduled.
 * Transient failures (sidecar unreachable, 5xx) are retried with backoff; anything else, or the last
 * transient failure, is thrown as it came from the client.
 */
export async function registerJobs(
  client: DaprClient,
  names: readonly string[],
  specs: ReadonlyMap<string, JobSpec>,
  log: Logger,
  options: RegisterJobsOptions = {},
): Promise<void> {
  const missing = names.filter((name) => !specs.has(name));
  if (missing.length > 0) {
    throw new Error(
      `no job spec for ${missing.map((name) => `"${name}"`).join(", ")}: ` +
        `add ${missing.map((name) => `${name}.json`).join(", ")} to the jobs directory (JOBS_DIR)`,
    );
  }
  const attempts = Math.max(1, options.attempts ?? 5);
  const backoffMs = options.backoffMs ?? 250;

  for (const name of new Set(names)) {
    const spec = { ...(specs.get(name) as JobSpec), overwrite: true };
    for (let attempt = 1; ; attempt++) {
      try {
        await client.jobs.schedule(name, spec, { signal: options.signal });
        log.info("job registered", { job: name, schedule: spec.schedule, dueTime: spec.dueTime });
        break;
      } catch (error) {
        if (!isTransientDaprError(error) || attempt >= attempts) {
          log.error("job registration failed", { job: name, attempts: attempt, error });
          throw error;
        }
        const delayMs = backoffMs * 2 ** (attempt - 1);
        log.warn("job registration failed; retrying", { job: name, attempt, delayMs, error });
        await sleep(delayMs, options.signal);
      }
    }
  }
}
