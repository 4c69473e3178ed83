/**
 * When check-due-tasks fires, seen from outside the app. The scheduler fires an `@every` job at exact
 * multiples of the period from its first trigger, and every run records its end in the state store
 * (functions/notification/_last-run.ts). A run that claimed nothing ends a few ms after its trigger
 * (more on a busy machine), so each such run bounds the phase of every tick from above; the tightest
 * bound seen so far is the estimate.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSchedule } from "../../runtime/schedule/cron.js";
import { ROOT } from "./proc.js";

const JOB = "check-due-tasks";

/** The shipped schedule's period in ms (jobs/check-due-tasks.json, `@every 5s`). */
export function jobPeriodMs(): number {
  const spec = JSON.parse(readFileSync(join(ROOT, "jobs", `${JOB}.json`), "utf8")) as { schedule: string };
  const schedule = parseSchedule(spec.schedule);
  const first = schedule.next(new Date(0))?.getTime() ?? Number.NaN;
  const second = schedule.next(new Date(first))?.getTime() ?? Number.NaN;
  if (second - first !== first) throw new Error(`${spec.schedule}: the bench needs a fixed-period schedule`);
  return first;
}

interface LastRun {
  at: string;
  claimed: number;
  cancelled: number;
}

export class JobTicks {
  /** A moment at or after some tick, as close to it as seen (epoch ms). */
  #bound: number | undefined;

  constructor(
    private readonly daprUrl: string,
    readonly periodMs: number,
    private readonly daprToken?: string,
  ) {}

  /** Reads run records until `quietRuns` distinct runs that claimed nothing were seen. */
  async observe(quietRuns: number, timeoutMs: number): Promise<void> {
    const seen = new Set<string>();
    const deadline = Date.now() + timeoutMs;
    while (seen.size < quietRuns) {
      if (Date.now() > deadline)
        throw new Error(`fewer than ${quietRuns} quiet ${JOB} runs in ${timeoutMs} ms`);
      const res = await fetch(`${this.daprUrl}/v1.0/state/statestore/${JOB}.last-run`, {
        headers: this.daprToken ? { "dapr-api-token": this.daprToken } : {},
      });
      const run = res.status === 200 ? ((await res.json()) as LastRun) : undefined;
      if (run && run.claimed === 0 && run.cancelled === 0 && !seen.has(run.at)) {
        seen.add(run.at);
        this.#tighten(Date.parse(run.at));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The first tick after `after` (by the estimate: at most a run's duration late). */
  next(after: number): number {
    if (this.#bound === undefined) throw new Error("no tick observed yet");
    return this.#bound + (Math.floor((after - this.#bound) / this.periodMs) + 1) * this.periodMs;
  }

  #tighten(runEnd: number): void {
    if (this.#bound === undefined) {
      this.#bound = runEnd;
      return;
    }
    // The same phase, moved next to the older bound; the earlier of the two is the tighter.
    const shifted = runEnd - Math.round((runEnd - this.#bound) / this.periodMs) * this.periodMs;
    this.#bound = Math.min(this.#bound, shifted);
  }
}
