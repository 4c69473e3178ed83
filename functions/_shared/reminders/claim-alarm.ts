/**
 * Claiming on time between ticks. check-due-tasks runs every 5 s, so a reminder falling due just after
 * a tick would wait almost a whole period before it is even claimed. After each claim, the claimer
 * looks up when the next pending reminder falls due (one step along reminders_due_idx) and sets a timer
 * for that moment; when it fires, it claims as a tick does and looks again. So reminders set ahead of
 * time, as nearly all are, are claimed within milliseconds of `remind_at`.
 *
 * The job stays the source of truth and the alarm only an early start: the timer lives in one process
 * and is lost with it, a reminder added after the last look waits for the next tick, and every failure
 * (the database away, the pool closed) just stops the chain until a tick arms it again. Claims from the
 * alarm and from ticks may overlap; the claim's SKIP LOCKED keeps them apart, as it does for replicas.
 */
import type { Sql } from "postgres";
import type { Logger } from "../../../runtime/log.js";
import type { Tx } from "../domain/context.js";

/**
 * How far ahead the alarm looks; a later reminder is looked up again after a later claim. Longer than
 * any sensible check-due-tasks schedule, so a reminder set one tick ahead is always seen in time.
 */
export const LOOKAHEAD_MS = 3_600_000;
/** Least time between two claims started by the alarm, so reminders due a few ms apart share one. */
export const MIN_GAP_MS = 20;

/**
 * Milliseconds until the earliest pending reminder that is not yet due falls due, measured on the
 * database's clock (the claim compares `remind_at` with its `now()`, so the app's clock must not
 * matter); undefined when none falls due within `horizonMs`.
 */
export async function msUntilNextReminder(
  sql: Sql | Tx,
  horizonMs = LOOKAHEAD_MS,
): Promise<number | undefined> {
  const [next] = await sql<{ ms: number }[]>`
    select ceil(extract(epoch from remind_at - now()) * 1000)::int as ms
    from reminders
    where state = 'pending' and remind_at > now()
      and remind_at <= now() + make_interval(secs => ${horizonMs / 1000})
    order by remind_at
    limit 1`;
  return next?.ms;
}

export interface ClaimAlarmOptions {
  /** Claims what is due (errors are logged, never thrown). */
  claim(): Promise<unknown>;
  /** msUntilNextReminder, or a stand-in in tests. */
  lookAhead(): Promise<number | undefined>;
  log: Logger;
  minGapMs?: number;
}

export class ClaimAlarm {
  readonly #options: ClaimAlarmOptions;
  readonly #minGapMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now()). */
  #firesAt = Number.POSITIVE_INFINITY;
  #lastFired = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(options: ClaimAlarmOptions) {
    this.#options = options;
    this.#minGapMs = options.minGapMs ?? MIN_GAP_MS;
  }

  /** Whether a timer is set. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Looks ahead and sets the timer for the next reminder, unless one is set for an earlier moment (a
   * timer that fires for a reminder deleted meanwhile only claims nothing and looks again).
   */
  async rearm(): Promise<void> {
    if (this.#stopped) return;
    let ms: number | undefined;
    try {
      ms = await this.#options.lookAhead();
    } catch (error) {
      this.#options.log.warn("could not look for the next reminder; the next tick will", { error });
      return;
    }
    if (ms === undefined || this.#stopped) return;
    const now = performance.now();
    const at = Math.max(now + ms, this.#lastFired + this.#minGapMs);
    if (this.#timer !== undefined && this.#firesAt <= at) return;
    clearTimeout(this.#timer);
    this.#firesAt = at;
    this.#timer = setTimeout(() => void this.#fire(), at - now);
    // A pending alarm must not keep a stopping process alive; the job covers what it would have claimed.
    this.#timer.unref();
  }

  /** Clears the timer for good (the process is stopping). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #fire(): Promise<void> {
    this.#timer = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
    this.#lastFired = performance.now();
    if (this.#stopped) return;
    try {
      await this.#options.claim();
    } catch (error) {
      this.#options.log.warn("claim on time failed; the next tick will claim", { error });
      return;
    }
    await this.rearm();
  }
}
