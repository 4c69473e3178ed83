/**
 * How the batcher groups deliveries, with the batch itself replaced by a recorder: sizes, how many run
 * at once, which outcome reaches which caller, and what a failed batch does to its callers.
 */
import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import type { Mailer } from "./mailer.js";
import { ReminderBatcher } from "./reminder-batcher.js";
import type { ReminderDelivery, ReminderRequest } from "./reminder-delivery.js";

const sql = {} as Sql;
const mailer = (name: string) => ({ description: name }) as Mailer;
const smtp = mailer("smtp");
const request = (n: number): ReminderRequest => ({ reminderId: `r-${n}`, eventId: `e-${n}` });

/** A stand-in for deliverReminders that records each batch and settles when told to. */
function recorder() {
  const batches: Array<{ mailer: Mailer; ids: string[]; settle(error?: Error): void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const deliver = (_sql: Sql, m: Mailer, requests: readonly ReminderRequest[]) =>
    new Promise<ReminderDelivery[]>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push({
        mailer: m,
        ids: requests.map((r) => r.reminderId),
        settle(error) {
          inFlight--;
          if (error) reject(error);
          else resolve(requests.map((r) => ({ outcome: "sent", messageId: `<${r.reminderId}>` })));
        },
      });
    });
  return { deliver, batches, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Settles the batches one by one, oldest first, until every caller has its answer. */
async function settleAll(r: ReturnType<typeof recorder>, until: Promise<unknown>) {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  for (let i = 0; !done; i++) {
    await tick();
    r.batches[i]?.settle();
  }
}

describe("ReminderBatcher", () => {
  it("requests that come while the slots are busy go together, at most maxBatch, maxInFlight at once", async () => {
    const r = recorder();
    const batcher = new ReminderBatcher({ maxBatch: 10, maxInFlight: 2, deliver: r.deliver });
    const all = Promise.all(Array.from({ length: 35 }, (_, n) => batcher.deliver(sql, smtp, request(n))));
    await settleAll(r, all);
    const outcomes = await all;
    expect(outcomes.map((o) => (o.outcome === "sent" ? o.messageId : o.outcome))).toEqual(
      Array.from({ length: 35 }, (_, n) => `<r-${n}>`),
    );
    expect(r.batches.flatMap((b) => b.ids)).toEqual(Array.from({ length: 35 }, (_, n) => `r-${n}`));
    expect(r.batches.map((b) => b.ids.length)).toEqual([10, 10, 10, 5]);
    expect(r.batches.length).toBeLessThan(35);
    expect(r.maxInFlight()).toBe(2);
  });

  it("a request alone starts at once, without waiting for company", async () => {
    const r = recorder();
    const batcher = new ReminderBatcher({ deliver: r.deliver });
    const one = batcher.deliver(sql, smtp, request(1));
    await tick();
    expect(r.batches.map((b) => b.ids)).toEqual([["r-1"]]);
    r.batches[0]?.settle();
    expect(await one).toEqual({ outcome: "sent", messageId: "<r-1>" });
  });

  it("a batch that fails fails each of its callers, and only those", async () => {
    const r = recorder();
    const batcher = new ReminderBatcher({ maxBatch: 2, maxInFlight: 1, deliver: r.deliver });
    const answers = [1, 2, 3].map((n) =>
      batcher.deliver(sql, smtp, request(n)).then(
        (o) => o.outcome,
        (e: Error) => e.message,
      ),
    );
    await tick();
    r.batches[0]?.settle(new Error("deadlock detected"));
    await tick();
    r.batches[1]?.settle();
    expect(await Promise.all(answers)).toEqual(["deadlock detected", "deadlock detected", "sent"]);
    expect(r.batches.map((b) => b.ids)).toEqual([["r-1", "r-2"], ["r-3"]]);
  });

  it("never mixes requests for different mailers in one batch", async () => {
    const r = recorder();
    const batcher = new ReminderBatcher({ maxInFlight: 1, deliver: r.deliver });
    const [a, b] = [mailer("a"), mailer("b")];
    const all = Promise.all([1, 2, 3, 4].map((n) => batcher.deliver(sql, n % 2 ? a : b, request(n))));
    await settleAll(r, all);
    await all;
    expect(r.batches.map((batch) => [batch.mailer.description, batch.ids])).toEqual([
      ["a", ["r-1", "r-3"]],
      ["b", ["r-2", "r-4"]],
    ]);
  });
});
