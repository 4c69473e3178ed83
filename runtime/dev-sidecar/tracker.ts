/**
 * Counts pub/sub work that is not finished: a message per subscription from the moment it is handed
 * to a consumer until it is acked, dropped or dead-lettered, including while it waits for a retry or a
 * redelivery timer. `idle()` lets tests wait for "everything settled" instead of sleeping.
 */
export class Tracker {
  private pending = 0;
  private waiters: Array<() => void> = [];

  begin(): void {
    this.pending++;
  }

  end(): void {
    this.pending--;
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  idle(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`sidecar not idle after ${timeoutMs} ms: ${this.pending} message(s) still pending`));
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}
