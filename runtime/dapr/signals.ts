/**
 * AbortSignal helpers shared by the transport, the start-up wait and job registration.
 */

/**
 * Callbacks per caller signal. Every publish passes the same long-lived shutdown signal, and one
 * listener per request would pile up (Node warns at 11: MaxListenersExceededWarning); one listener
 * per signal fans out to the callbacks of the requests in flight instead.
 */
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `callback` when `signal` aborts, until `forgetAbort` removes it. */
export function onAbort(signal: AbortSignal, callback: () => void): void {
  let set = callbacks.get(signal);
  if (set === undefined) {
    const registered = new Set<() => void>();
    set = registered;
    callbacks.set(signal, registered);
    signal.addEventListener("abort", () => {
      for (const run of registered) run();
    });
  }
  set.add(callback);
}

export function forgetAbort(signal: AbortSignal, callback: () => void): void {
  callbacks.get(signal)?.delete(callback);
}

/**
 * A delay that an AbortSignal cuts short. node:timers/promises rejects with its own AbortError; this
 * rejects with the signal's reason, the same thing a request rejects with, so callers see one kind of abort.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      forgetAbort(signal as AbortSignal, wake);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      if (signal !== undefined) forgetAbort(signal, wake);
      resolve();
    }, ms);
    if (signal !== undefined) onAbort(signal, wake);
  });
}
