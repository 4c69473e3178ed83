/**
 * Values that are ready now or later. A delivery whose schema and handler are synchronous (a no-op, a
 * pure check) settles at once; awaiting it anyway costs a promise and a microtask turn per event, which
 * for a bulk of ten was a visible share of the route's CPU. Asynchronous work still goes through promises.
 */
export type Settled<T> = T | Promise<T>;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function"
  );
}

/** `next(value)` now if `value` is ready, else once it resolves (a rejection passes through). */
export function andThen<T, U>(value: Settled<T>, next: (ready: T) => Settled<U>): Settled<U> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}
