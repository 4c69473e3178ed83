/**
 * Timing shared by the consumers: the inbound retry policy (exponential, like a Resiliency
 * `policies.retries` entry with `policy: exponential`) and a set of timers that close() can cancel.
 */
export interface RetryPolicy {
  /** Attempts per delivery cycle, the first included. 1 = no retry (daprd without a Resiliency policy). */
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
}

/** The wait after the `failures`-th failed attempt (1-based): initial × 2^(failures-1), capped. */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.initialIntervalMs * 2 ** Math.max(0, failures - 1), policy.maxIntervalMs);
}

export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  set(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** A random permutation that differs from the input whenever it has two or more items. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  if (out.length > 1 && out.every((item, i) => item === items[i])) out.reverse();
  return out;
}
