/**
 * Registers a group's jobs with the scheduler at every start. Jobs are shared by all replicas of an
 * app-id (contract §5.1). Overwriting recreates a job, which restarts an `@every` schedule's phase
 * and fires a `dueTime: 0s` job again, so a replica first reads the job and only writes it when the
 * spec changed (or the job is missing): restarts and scale-ups leave a running schedule alone, and a
 * changed spec file takes effect on the next rollout. Writes use `overwrite: true`, so two replicas
 * starting together cannot fail each other with 409.
 */
import { type DaprClient, isTransientDaprError, type JobSpec, type ScheduledJob } from "../dapr/client.js";
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
        const current = await client.jobs.get(name, { signal: options.signal });
        if (current && sameJob(spec, current)) {
          log.info("job already registered", { job: name, schedule: spec.schedule });
          break;
        }
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

const FIELDS = ["schedule", "dueTime", "repeats", "ttl", "data", "failurePolicy"] as const;

/** Whether the scheduler already holds this spec; any doubt (a field rendered differently) means rewrite. */
function sameJob(spec: JobSpec, current: ScheduledJob): boolean {
  return FIELDS.every((field) => canonical(spec[field]) === canonical(current[field]));
}

// JSON with sorted keys, so key order in a spec file or in daprd's answer does not count as a change.
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
    ) ?? "undefined"
  );
}
