/**
 * Tracks in-flight work so SIGTERM can stop taking new deliveries, let the running ones finish,
 * and only then close the database.
 */
export class Lifecycle {
  private inflight = 0;
  private draining = false;
  private leaving = false;
  private waiters: Array<() => void> = [];
  private readonly controller = new AbortController();
  private readonly stoppingController = new AbortController();

  /** Aborted when the grace period ran out; long handlers should give up and let Dapr retry. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborted when shutdown begins: background work (timers a handler set) must not start anything new. */
  get stopping(): AbortSignal {
    return this.stoppingController.signal;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * True from SIGTERM on: `/readyz` answers 503 so Kubernetes takes the pod out of its Services, while
   * requests still arriving (endpoints propagate with a delay) are served in full until the listener closes.
   */
  get isLeaving(): boolean {
    return this.leaving || this.draining;
  }

  /** Starts the shutdown's first phase (see isLeaving); `drain` is the second. */
  leave(): void {
    this.leaving = true;
  }

  get inFlight(): number {
    return this.inflight;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await work();
    } finally {
      this.end();
    }
  }

  /**
   * `track` in two calls, for work that often finishes synchronously (a delivery to a synchronous
   * handler), where wrapping it in a promise would be the larger part of its cost. Every `begin` needs
   * exactly one `end`, in a `finally`.
   */
  begin(): void {
    this.inflight++;
  }

  end(): void {
    this.inflight--;
    if (this.inflight === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * Stops new work and waits for in-flight work, at most `graceMs`. Returns whether everything
   * finished in time; if not, handlers still running see `signal` aborted.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.draining = true;
    this.stoppingController.abort(new Error("shutting down"));
    if (this.inflight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<true>((resolve) => this.waiters.push(() => resolve(true))),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) this.controller.abort(new Error("shutdown grace period elapsed"));
    return finished;
  }
}
