import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Lifecycle } from "./lifecycle.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Lifecycle", () => {
  // A fake clock: the grace periods and waits below are exact, with no wall-clock time spent.
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("drain waits for in-flight work, then reports it finished in time", async () => {
    const lifecycle = new Lifecycle();
    const gate = deferred();
    const work = lifecycle.track(() => gate.promise.then(() => "done"));
    expect(lifecycle.inFlight).toBe(1);
    let drained: boolean | undefined;
    const draining = lifecycle.drain(5_000).then((finished) => {
      drained = finished;
    });
    await vi.advanceTimersByTimeAsync(20);
    expect(lifecycle.isDraining).toBe(true);
    expect(drained).toBeUndefined();
    gate.resolve();
    await draining;
    expect(drained).toBe(true);
    expect(await work).toBe("done");
    expect(lifecycle.signal.aborted).toBe(false);
  });

  it("gives up after the grace period and aborts the signal", async () => {
    const lifecycle = new Lifecycle();
    const gate = deferred();
    void lifecycle.track(() => gate.promise);
    const started = Date.now();
    const draining = lifecycle.drain(50);
    await vi.advanceTimersByTimeAsync(49);
    expect(lifecycle.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await draining).toBe(false);
    expect(Date.now() - started).toBe(50);
    expect(lifecycle.signal.aborted).toBe(true);
    gate.resolve();
  });

  it("drains at once when idle, and a failing task still leaves the count at zero", async () => {
    const lifecycle = new Lifecycle();
    await expect(lifecycle.track(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(lifecycle.inFlight).toBe(0);
    expect(await lifecycle.drain(10)).toBe(true);
  });

  it("begin/end count work in flight like track: drain waits for the end", async () => {
    const lifecycle = new Lifecycle();
    lifecycle.begin();
    expect(lifecycle.inFlight).toBe(1);
    let drained = false;
    const draining = lifecycle.drain(5_000).then(() => {
      drained = true;
    });
    await vi.advanceTimersByTimeAsync(20);
    expect(drained).toBe(false);
    lifecycle.end();
    await draining;
    expect(drained).toBe(true);
    expect(lifecycle.inFlight).toBe(0);
  });
});
