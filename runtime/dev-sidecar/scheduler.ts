/**
 * Fires jobs at `POST {app}/job/{name}` (contract §5.3), standing in for the Dapr scheduler.
 *
 * - Triggers follow go-etcd-cron: the first at `dueTime`, else the schedule's next time after the
 *   creation second; then the schedule's next time after the previous trigger; stop after `repeats`
 *   triggers or past the `ttl` expiry, then the job is deleted.
 * - Jobs fire only while the app channel is up. Triggers that fell due before it came up are collapsed
 *   into one, fired as soon as it is up (the scheduler stages one trigger while no sidecar is connected).
 * - A tick does not wait for the previous run of the same job: like daprd, a slow handler gets
 *   overlapping calls, and must cope (e.g. claim rows with SKIP LOCKED).
 * - 2xx and 404 end a trigger; anything else applies the failure policy (default constant 1 s × 3).
 */
import type { Logger } from "../log.js";
import type { AppChannel } from "./app-channel.js";
import { settleWithin, sleep } from "./http.js";
import type { Job } from "./jobs-api.js";
import { childSpan, formatTraceparent } from "./trace.js";

interface Active {
  job: Job;
  count: number;
  last?: Date;
  timer?: NodeJS.Timeout;
  /** Set when the job is deleted or overwritten: pending failure-policy retries stop. */
  cancelled: boolean;
}

// setTimeout's limit is about 24.8 days; longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class JobScheduler {
  private readonly jobs = new Map<string, Active>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private closed = false;
  /** Aborted by close(), so runs sleeping between failure-policy retries end at once. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly channel: () => AppChannel | undefined,
    private readonly log: Logger,
  ) {}

  has(name: string): boolean {
    return this.jobs.has(name);
  }

  get(name: string): Job | undefined {
    return this.jobs.get(name)?.job;
  }

  put(job: Job): void {
    this.delete(job.name);
    const active: Active = { job, count: 0, cancelled: false };
    this.jobs.set(job.name, active);
    this.arm(active);
  }

  /** Also stops pending failure-policy retries of the job. */
  delete(name: string): void {
    const active = this.jobs.get(name);
    if (!active) return;
    active.cancelled = true;
    clearTimeout(active.timer);
    this.jobs.delete(name);
  }

  /** The app channel is up: start firing. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    for (const active of this.jobs.values()) this.arm(active);
  }

  /**
   * Stops firing and waits up to `graceMs` for job calls in flight. A run waiting out a retry interval is not
   * in flight: it wakes and ends, or close() would take the whole grace period (or the interval) every time.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    for (const active of this.jobs.values()) if (active.timer) clearTimeout(active.timer);
    this.stopping.abort();
    await settleWithin(this.inFlight, graceMs);
  }

  private arm(active: Active): void {
    if (!this.running || this.closed) return;
    let next = this.nextTrigger(active);
    if (next === undefined) {
      // Done: GET now answers "not found", but the last trigger's retries still run.
      this.log.debug("job completed", { job: active.job.name, triggers: active.count });
      this.jobs.delete(active.job.name);
      return;
    }
    // Collapse triggers missed while the app channel was down into the latest one.
    for (let guard = 0; active.job.cron && guard < 100_000; guard++) {
      const after: Date | undefined = active.job.cron.next(next);
      if (after === undefined || after.getTime() > Date.now()) break;
      next = after;
    }
    const due = next;
    const wait = due.getTime() - Date.now();
    active.timer = setTimeout(
      () => {
        if (active.cancelled || this.closed) return;
        if (wait > MAX_TIMER_MS) return this.arm(active);
        active.count++;
        active.last = due;
        const run: Promise<void> = this.fire(active).finally(() => this.inFlight.delete(run));
        this.inFlight.add(run);
        this.arm(active);
      },
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
  }

  // go-etcd-cron repeats.Next / oneshot.
  private nextTrigger(active: Active): Date | undefined {
    const { job } = active;
    if (!job.cron) return active.count === 0 ? job.begin.at : undefined;
    if (job.repeats !== undefined && active.count >= job.repeats) return undefined;
    if (active.last === undefined)
      return job.begin.kind === "due" ? job.begin.at : job.cron.next(job.begin.at);
    const next = job.cron.next(active.last);
    if (next === undefined || (job.expiration !== undefined && next > job.expiration)) return undefined;
    return next;
  }

  private async fire(active: Active): Promise<void> {
    const { job } = active;
    const policy = job.failurePolicy;
    const body = job.data === undefined ? undefined : JSON.stringify(job.data.value);
    for (let retries = 0; ; retries++) {
      const channel = this.channel();
      const headers = {
        "content-type": "application/json",
        traceparent: formatTraceparent(childSpan(undefined)),
      };
      const res = channel
        ? await channel.call("POST", `/job/${encodeURIComponent(job.name)}`, headers, body)
        : { status: undefined, body: "" };
      const status = res.status;
      // 404 counts as success so the tick is not retried (daprd counts it as a failure in metrics).
      if (status !== undefined && ((status >= 200 && status < 300) || status === 404)) {
        this.log.debug("job triggered", { job: job.name, status });
        return;
      }
      const exhausted =
        policy.kind === "drop" || (policy.maxRetries !== undefined && retries >= policy.maxRetries);
      this.log.warn("job trigger failed", {
        job: job.name,
        status: status ?? "unreachable",
        retry: !exhausted,
      });
      if (exhausted) return;
      await sleep(policy.intervalMs, this.stopping.signal);
      if (this.closed || active.cancelled) return;
    }
  }
}
