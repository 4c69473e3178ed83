import { describe, expect, it } from "vitest";
import { useTestDb } from "../test/support/db.js";
import { firstDelivery, recordEvents, seenEvents } from "./inbox.js";

const db = useTestDb("inbox");

describe("the consumer inbox", () => {
  it("says a redelivered event is not a first delivery, per consumer", async () => {
    expect(await firstDelivery(db.sql, "a.handler", "e-1")).toBe(true);
    expect(await firstDelivery(db.sql, "a.handler", "e-1")).toBe(false);
    expect(await firstDelivery(db.sql, "b.handler", "e-1")).toBe(true);
  });

  it("records with the caller's transaction: a rolled-back effect leaves the event to be handled again", async () => {
    await expect(
      db.sql.begin(async (tx) => {
        await firstDelivery(tx, "a.handler", "e-2");
        throw new Error("the effect failed");
      }),
    ).rejects.toThrow("the effect failed");
    expect(await firstDelivery(db.sql, "a.handler", "e-2")).toBe(true);
  });

  it("answers and records batches", async () => {
    await recordEvents(db.sql, "batch", ["x", "y"]);
    await recordEvents(db.sql, "batch", ["y", "z"]);
    expect(await seenEvents(db.sql, "batch", ["w", "x", "z"])).toEqual(new Set(["x", "z"]));
    expect(await seenEvents(db.sql, "batch", [])).toEqual(new Set());
  });
});
