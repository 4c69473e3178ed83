/**
 * Running the relay repeatedly. `drainOutbox` runs batches until nothing more is ready; the backstop
 * job and each kick use it. `Relay` is the "right after commit" relay of one process: `kick()` is the
 * `onEventsCommitted` hook, so events leave as soon as their transaction commits instead of at the
 * backstop job's next tick. Kicks are coalesced: a burst of commits costs one run, at most one run is
 * in progress, and a kick during a run queues exactly one more (the rows it announced may have been
 * committed after that run's claim). Failures never reach the caller: the rows stay in the outbox with a
 * backoff, and the relay kicks itself when the earliest of them is due again (the backstop job, every
 * 10 s, covers a process that stops first), so an outage's events leave as soon as their retry is due.
 */
import type { Sql } from "postgres";
import type { DaprClient } from "../dapr/client.js";
import { type RelayOptions, type RelayResult, relayOutbox } from "./relay.js";

export interface DrainOptions extends RelayOptions {
  /** Stop starting new batches after this long. Default 5000. */
  budgetMs?: number;
}

export interface DrainResult extends RelayResult {
  /** The budget ran out with full batches still coming: there is probably more to publish. */
  more: boolean;
}

/**
 * Runs batches until one comes back short (nothing more is ready), something fails (the backoff takes
 * over from there), nothing could be published (the rest is held by other relays), or the budget is spent.
 */
export async function drainOutbox(
  sql: Sql,
  dapr: DaprClient,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 100;
  const deadline = performance.now() + (options.budgetMs ?? 5_000);
  const total: DrainResult = { published: 0, failed: 0, deferred: 0, deadLettered: 0, more: false };
  for (;;) {
    const batch = await relayOutbox(sql, dapr, { ...options, batchSize });
    total.published += batch.published;
    total.failed += batch.failed;
    total.deferred += batch.deferred;
    total.deadLettered += batch.deadLettered;
    const claimed = batch.published + batch.failed + batch.deferred + batch.deadLettered;
    if (claimed < batchSize || batch.failed > 0 || batch.published === 0) return total;
    if (performance.now() >= deadline) return { ...total, more: true };
  }
}

export interface RelayRunnerOptions extends DrainOptions {
  /** How long a kick waits for more commits before running. Default 5 ms. */
  debounceMs?: number;
  /**
   * A kick this often whatever happens (0: none): rows this process did not commit, and no process kicks
   * for, still leave — another replica's after a crash, a dead letter replayed from the CLI into a topic
   * only this group may publish (OUTBOX_RELAY_TOPICS). An idle run is one indexed query.
   */
  backstopMs?: number;
}

export interface RelayStats extends RelayResult {
  /** Completed runs (each drains until nothing more is ready). */
  runs: number;
}

export class Relay {
  readonly #sql: Sql;
  readonly #dapr: DaprClient;
  readonly #options: RelayRunnerOptions;
  #timer: NodeJS.Timeout | undefined;
  /** A kick for when the earliest refused row is due again. */
  #retryTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #queued = false;
  #closed = false;
  readonly #stats: RelayStats = { runs: 0, published: 0, failed: 0, deferred: 0, deadLettered: 0 };

  readonly #backstop: NodeJS.Timeout | undefined;

  constructor(sql: Sql, dapr: DaprClient, options: RelayRunnerOptions = {}) {
    this.#sql = sql;
    this.#dapr = dapr;
    this.#options = options;
    if (options.backstopMs) {
      this.#backstop = setInterval(() => this.kick(), options.backstopMs);
      this.#backstop.unref();
    }
  }

  /** Totals since start, for tests and diagnostics. */
  get stats(): Readonly<RelayStats> {
    return { ...this.#stats };
  }

  /** Asks for a run soon; cheap and safe to call after every commit. Ignored once closed. */
  kick(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) {
      this.#queued = true;
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
      });
    }, this.#options.debounceMs ?? 5);
  }

  /** Resolves when no run is pending, in progress or queued. */
  async idle(): Promise<void> {
    while (this.#timer !== undefined || this.#running !== undefined) {
      if (this.#running !== undefined) await this.#running;
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Stops taking kicks and waits for the run in progress. A kick still waiting for its debounce runs
   * now, once, so a process that stops right after a commit still publishes it (bounded by the drain
   * budget); anything left waits for the backstop job.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#backstop);
    const pending = this.#timer !== undefined || this.#queued;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (pending) await this.#run();
  }

  async #run(): Promise<void> {
    const log = this.#options.log;
    do {
      this.#queued = false;
      try {
        const result = await drainOutbox(this.#sql, this.#dapr, this.#options);
        this.#stats.published += result.published;
        this.#stats.failed += result.failed;
        this.#stats.deferred += result.deferred;
        this.#stats.deadLettered += result.deadLettered;
        // The budget ran out with work left: run again rather than hold the caller's kick hostage.
        if (result.more) this.#queued = true;
        if (result.published > 0) log?.debug("outbox relayed", { ...result });
        if (result.failed > 0) await this.#retryWhenDue();
      } catch (error) {
        // A database problem: the backstop job tries again on its schedule.
        log?.warn("outbox relay run failed", { error });
      }
      this.#stats.runs++;
    } while (this.#queued && !this.#closed);
  }

  async #retryWhenDue(): Promise<void> {
    const { topics } = this.#options;
    const [row] = await this.#sql<{ ms: number | null }[]>`
      select greatest(0, extract(epoch from min(next_attempt_at) - now()) * 1000)::float8 as ms from outbox
      ${topics === undefined ? this.#sql`` : this.#sql`where topic = any(${topics as string[]}::text[])`}`;
    if (row?.ms == null || this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.kick();
    }, row.ms);
    this.#retryTimer.unref();
  }
}
