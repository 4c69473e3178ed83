/**
 * The delivery core without HTTP: asynchronous handlers and validators, which the contract fixtures
 * (all synchronous) do not exercise, and what a handler's context carries.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Sql } from "postgres";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { DaprClient } from "../dapr/client.js";
import { type BaseContext, defineSubscription, type SubscriptionContext } from "../define.js";
import { createLogger, type LogFields } from "../log.js";
import { DropMessage } from "../outcomes.js";
import { type BulkEntry, type DeliveryResult, deliverBulk, deliverOne, readBulkEntries } from "./delivery.js";
import { isThenable } from "./settled.js";

const logged: LogFields[] = [];
const base: BaseContext = {
  sql: {} as Sql,
  dapr: {} as DaprClient,
  log: createLogger({ write: (line) => logged.push(JSON.parse(line) as LogFields) }),
  signal: new AbortController().signal,
  stopping: new AbortController().signal,
  onEventsCommitted: () => {},
};

const event = (id: string, data: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  source: "test",
  type: "test.thing.v1",
  specversion: "1.0",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  data,
  ...extra,
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A handler that records what it saw; data decides: "throw", "reject", "drop", "slow" or anything else. */
function recordingUnit(schema: StandardSchemaV1 = v.unknown()) {
  const seen: Array<{ data: unknown; ctx: SubscriptionContext; at: "start" | "end" }> = [];
  const unit = defineSubscription({
    pubsub: "pubsub",
    topic: "things",
    schema,
    handle(data: unknown, ctx) {
      seen.push({ data, ctx, at: "start" });
      if (data === "throw") throw new Error("boom");
      if (data === "reject") return Promise.reject(new Error("boom later"));
      if (data === "drop") return Promise.reject(new DropMessage("not ours"));
      if (data === "slow") return tick().then(() => void seen.push({ data, ctx, at: "end" }));
    },
  });
  return { unit, seen };
}

const bulk = (...events: unknown[]): BulkEntry[] =>
  readBulkEntries({ entries: events.map((e, i) => ({ entryId: String(i), event: e })) }) ?? [];

describe("deliverOne", () => {
  it("settles at once for a synchronous schema and handler (no promise per event)", () => {
    const { unit } = recordingUnit();
    const result = deliverOne(unit, event("e1", "fine"), base, undefined);
    expect(isThenable(result)).toBe(false);
    expect(result).toEqual({ status: "SUCCESS", eventId: "e1" });
  });

  it("waits for an asynchronous handler, and maps its rejection to RETRY or, for DropMessage, DROP", async () => {
    const { unit, seen } = recordingUnit();
    expect(await deliverOne(unit, event("s", "slow"), base, undefined)).toEqual({
      status: "SUCCESS",
      eventId: "s",
    });
    expect(seen.map((s) => s.at)).toEqual(["start", "end"]);
    expect(await deliverOne(unit, event("r", "reject"), base, undefined)).toEqual({
      status: "RETRY",
      eventId: "r",
    });
    expect(await deliverOne(unit, event("d", "drop"), base, undefined)).toEqual({
      status: "DROP",
      eventId: "d",
    });
  });

  it("a synchronous throw is RETRY", () => {
    const { unit } = recordingUnit();
    expect(deliverOne(unit, event("t", "throw"), base, undefined)).toEqual({ status: "RETRY", eventId: "t" });
  });

  it("validates with an asynchronous schema; a rejecting one drops the message", async () => {
    const asyncSchema = v.pipeAsync(
      v.string(),
      v.checkAsync(async (text) => text.startsWith("ok"), "must start with ok"),
    );
    const { unit, seen } = recordingUnit(asyncSchema);
    expect(await deliverOne(unit, event("a", "ok then"), base, undefined)).toMatchObject({
      status: "SUCCESS",
    });
    expect(await deliverOne(unit, event("b", "nope"), base, undefined)).toMatchObject({ status: "DROP" });
    const throwing: StandardSchemaV1 = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => Promise.reject(new Error("validator down")),
      },
    };
    expect(await deliverOne(recordingUnit(throwing).unit, event("c", 1), base, undefined)).toMatchObject({
      status: "DROP",
    });
    expect(seen.map((s) => s.data)).toEqual(["ok then"]);
  });

  it("gives the handler the base context, the event (daprd's traceparent winning) and a logger with the event", () => {
    const { unit, seen } = recordingUnit();
    const header = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
    deliverOne(unit, event("e7", "fine", { subject: "task-7" }), base, header);
    const ctx = seen[0]?.ctx;
    expect(ctx).toMatchObject({
      sql: base.sql,
      dapr: base.dapr,
      signal: base.signal,
      stopping: base.stopping,
      onEventsCommitted: base.onEventsCommitted,
    });
    expect(ctx?.event).toEqual({
      id: "e7",
      source: "test",
      type: "test.thing.v1",
      specversion: "1.0",
      subject: "task-7",
      traceparent: header,
    });
    logged.length = 0;
    ctx?.log.info("hello");
    // The delivery's span is a child of daprd's: same trace, a span of its own, in the log and the context
    // (what the handler passes to enqueueEvents, so the events it writes continue the trace).
    expect(logged[0]).toMatchObject({
      msg: "hello",
      eventId: "e7",
      eventType: "test.thing.v1",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(ctx?.span?.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(ctx?.span?.spanId).toBe((logged[0] as { span_id?: string }).span_id);
    expect(ctx?.span?.spanId).not.toBe("00f067aa0ba902b7");
  });
});

type Metadata = Record<string, string> | undefined;

/** Entries "0", "1", … with the given broker metadata (undefined: none). */
const withMetadata = (...entries: Array<[Metadata, unknown]>): BulkEntry[] =>
  readBulkEntries({
    entries: entries.map(([metadata, e], i) => ({ entryId: String(i), event: e, metadata })),
  }) ?? [];

/**
 * A unit whose handler logs `<event id>:start` and, for "slow" data, settles a tick later; with the
 * `onEntry` it returns logging `<event id>:settled`, the log shows what was in flight at once.
 */
function timelineUnit() {
  const timeline: string[] = [];
  const unit = defineSubscription({
    pubsub: "pubsub",
    topic: "things",
    schema: v.unknown(),
    handle(data: unknown, ctx) {
      timeline.push(`${ctx.event.id}:start`);
      if (data === "slow") return tick().then(() => {});
      if (data === "reject") return Promise.reject(new Error("boom later"));
      if (data === "drop") return Promise.reject(new DropMessage("not ours"));
      if (data === "throw") throw new Error("boom");
    },
  });
  const onEntry = (result: DeliveryResult) => timeline.push(`${result.eventId ?? "?"}:settled`);
  return { unit, timeline, onEntry };
}

describe("deliverBulk", () => {
  it("handles entries without a key one after another, in order, also when some are asynchronous", async () => {
    const { unit, seen } = recordingUnit();
    const statuses = await deliverBulk(
      unit,
      bulk(
        event("0", "slow"),
        event("1", "fine"),
        event("2", "reject"),
        event("3", "slow"),
        event("4", "throw"),
      ),
      base,
    );
    expect(statuses).toEqual([
      { entryId: "0", status: "SUCCESS" },
      { entryId: "1", status: "SUCCESS" },
      { entryId: "2", status: "RETRY" },
      { entryId: "3", status: "SUCCESS" },
      { entryId: "4", status: "RETRY" },
    ]);
    // A slow entry has ended before the next one starts.
    expect(seen.map((s) => `${s.ctx.event.id}:${s.at}`)).toEqual([
      "0:start",
      "0:end",
      "1:start",
      "2:start",
      "3:start",
      "3:end",
      "4:start",
    ]);
  });

  it("settles at once when every entry does, and reports each entry once with its start time", () => {
    const { unit } = recordingUnit();
    const reported: Array<[DeliveryResult, number]> = [];
    const statuses = deliverBulk(
      unit,
      withMetadata([{ __key: "a" }, event("0", 1)], [undefined, "cmF3"], [{ __key: "b" }, event("2", 2)]),
      base,
      (result, startedAt) => reported.push([result, startedAt]),
    );
    expect(isThenable(statuses)).toBe(false);
    expect(Array.isArray(statuses)).toBe(true);
    expect(statuses).toEqual([
      { entryId: "0", status: "SUCCESS" },
      { entryId: "1", status: "DROP" },
      { entryId: "2", status: "SUCCESS" },
    ]);
    expect(reported.map(([result]) => result.status)).toEqual(["SUCCESS", "DROP", "SUCCESS"]);
    expect(reported.every(([, startedAt]) => startedAt > 0)).toBe(true);
  });

  it("runs the entries of one key one after another: the next starts once the previous settled", async () => {
    const { unit, timeline, onEntry } = timelineUnit();
    const k = { __key: "task-1" };
    const statuses = deliverBulk(
      unit,
      withMetadata([k, event("0", "slow")], [k, event("1", "fine")], [k, event("2", "slow")]),
      base,
      onEntry,
    );
    expect(isThenable(statuses)).toBe(true);
    await statuses;
    expect(timeline).toEqual(["0:start", "0:settled", "1:start", "1:settled", "2:start", "2:settled"]);
  });

  it("runs entries of different keys concurrently, and answers in entry order", async () => {
    const { unit, timeline, onEntry } = timelineUnit();
    const statuses = await deliverBulk(
      unit,
      withMetadata(
        [{ __key: "a" }, event("0", "slow")],
        [{ __key: "b" }, event("1", "slow")],
        [{ __key: "c" }, event("2", "fine")],
      ),
      base,
      onEntry,
    );
    // All three started before the first one settled.
    expect(timeline).toEqual(["0:start", "1:start", "2:start", "2:settled", "0:settled", "1:settled"]);
    expect(statuses.map((s) => s.entryId)).toEqual(["0", "1", "2"]);
  });

  it("takes the key from __key, else partitionKey; entries without one form their own chain", async () => {
    const { unit, timeline, onEntry } = timelineUnit();
    await deliverBulk(
      unit,
      withMetadata(
        [{ __key: "a", partitionKey: "b" }, event("0", "slow")],
        [{ partitionKey: "b" }, event("1", "fine")],
        [{ partitionKey: "a" }, event("2", "fine")],
      ),
      base,
      onEntry,
    );
    expect(timeline).toEqual(["0:start", "1:start", "1:settled", "0:settled", "2:start", "2:settled"]);

    timeline.length = 0;
    await deliverBulk(
      unit,
      withMetadata(
        [undefined, event("0", "slow")],
        [{ __key: "a" }, event("1", "fine")],
        [{}, event("2", "fine")],
      ),
      base,
      onEntry,
    );
    expect(timeline).toEqual(["0:start", "1:start", "1:settled", "0:settled", "2:start", "2:settled"]);
  });

  it("mixes synchronous and asynchronous entries: one status per entry, in entry order", async () => {
    const { unit, timeline, onEntry } = timelineUnit();
    const a = { __key: "a" };
    const b = { __key: "b" };
    const statuses = await deliverBulk(
      unit,
      withMetadata(
        [a, event("0", "fine")],
        [a, event("1", "slow")],
        [b, event("2", "reject")],
        [a, event("3", "throw")],
        [undefined, "cmF3"],
        [b, event("5", "drop")],
        [{ __key: "c" }, event("6", "fine")],
      ),
      base,
      onEntry,
    );
    expect(statuses).toEqual([
      { entryId: "0", status: "SUCCESS" },
      { entryId: "1", status: "SUCCESS" },
      { entryId: "2", status: "RETRY" },
      { entryId: "3", status: "RETRY" },
      { entryId: "4", status: "DROP" },
      { entryId: "5", status: "DROP" },
      { entryId: "6", status: "SUCCESS" },
    ]);
    expect(timeline.filter((t) => t.endsWith(":settled"))).toHaveLength(7);
    // "3" waited for "1" (same key), while "6" (its own key) did not wait for anything.
    expect(timeline.indexOf("3:start")).toBeGreaterThan(timeline.indexOf("1:settled"));
    expect(timeline.indexOf("6:settled")).toBeLessThan(timeline.indexOf("1:settled"));
  });

  it("fails only once every entry has settled when reporting one of them throws", async () => {
    const { unit, timeline } = timelineUnit();
    const failure = new Error("metrics down");
    const delivered = deliverBulk(
      unit,
      withMetadata([{ __key: "a" }, event("0", "slow")], [{ __key: "b" }, event("1", "slow")]),
      base,
      (result) => {
        if (result.eventId === "0") throw failure;
        timeline.push(`${result.eventId ?? "?"}:settled`);
      },
    );
    await expect(delivered).rejects.toBe(failure);
    expect(timeline).toEqual(["0:start", "1:start", "1:settled"]);
  });

  it("also when reporting a synchronous entry throws while another is still running", async () => {
    const { unit, timeline } = timelineUnit();
    const failure = new Error("metrics down");
    const delivered = deliverBulk(
      unit,
      withMetadata([{ __key: "a" }, event("0", "slow")], [{ __key: "b" }, event("1", "fine")]),
      base,
      (result) => {
        if (result.eventId === "1") throw failure;
        timeline.push(`${result.eventId ?? "?"}:settled`);
      },
    );
    await expect(delivered).rejects.toBe(failure);
    // The rejection came only after the slow entry settled: no handler outlives its request.
    expect(timeline).toEqual(["0:start", "1:start", "0:settled"]);
  });

  it("skips entries without an entryId (nothing to answer for) and reads the rest as they are", () => {
    const first = { entryId: "0", event: event("0", 1), metadata: { __offset: "7" } };
    const entries = readBulkEntries({ entries: [first, { event: event("x", 1) }, null, "text"] });
    expect(entries).toEqual([first]);
    expect(readBulkEntries(event("single", 1))).toBeUndefined();
  });
});
