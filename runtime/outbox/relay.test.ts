/**
 * The relay against real PostgreSQL (useTestDb) and the local sidecar over HTTP: what it publishes,
 * what it keeps after a refusal or an outage, order per partition key, and two relays at once.
 */
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { DaprClient } from "../dapr/client.js";
import { type LocalSidecar, startSidecar } from "../dev-sidecar/sidecar.js";
import { createLogger, silentLogger } from "../log.js";
import { enqueueEvents } from "./enqueue.js";
import { relayOutbox } from "./relay.js";
import { drainOutbox } from "./relay-runner.js";

const db = useTestDb("outbox-relay");
const embedded = inject("databaseIsEmbedded");

let sidecar: LocalSidecar;
let dapr: DaprClient;

beforeEach(async () => {
  await db.sql`delete from outbox`;
  await db.sql`delete from outbox_dead`;
  sidecar = await startSidecar({ log: silentLogger });
  dapr = new DaprClient({ baseUrl: sidecar.url, timeoutMs: 2_000, log: silentLogger });
});
afterEach(async () => {
  await sidecar.close();
});

/** Commits one event per subject, in order; returns their outbox ids (= CloudEvent ids) in seq order. */
async function commit(subjects: string[], topic = "task-events"): Promise<string[]> {
  await db.sql.begin((tx) =>
    enqueueEvents(
      tx,
      subjects.map((subject, n) => ({ topic, type: "taskbeat.test.v1", subject, data: { n } })),
      undefined,
    ),
  );
  const rows = await db.sql<{ id: string }[]>`select id from outbox order by seq`;
  return rows.map((row) => row.id);
}

interface OutboxState {
  id: string;
  attempts: number;
  last_error: string | null;
  due_in_ms: number;
}

const outbox = () =>
  db.sql<OutboxState[]>`
    select id, attempts, last_error,
      (extract(epoch from next_attempt_at - clock_timestamp()) * 1000)::float8 as due_in_ms
    from outbox order by seq`;

/** The CloudEvents the sidecar accepted, in acceptance order. */
const published = () =>
  sidecar.published.map((m) => ({
    ...(JSON.parse(m.body) as { id: string; subject: string }),
    partitionKey: m.metadata.partitionKey,
  }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The backoff passing, on the clock the relay reads (the database's `now()`): every row falls due now. */
const backoffElapses = () => db.sql`update outbox set next_attempt_at = now()`;

describe("relayOutbox", () => {
  it("publishes committed rows with the row id as CloudEvent id and the partition key, then deletes them", async () => {
    const ids = await commit(["task-1", "task-2"]);
    expect(await relayOutbox(db.sql, dapr)).toEqual({
      published: 2,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
    });
    expect(published()).toEqual([
      expect.objectContaining({ id: ids[0], subject: "task-1", partitionKey: "task-1" }),
      expect.objectContaining({ id: ids[1], subject: "task-2", partitionKey: "task-2" }),
    ]);
    expect(sidecar.published.map((m) => m.topic)).toEqual(["task-events", "task-events"]);
    expect(await outbox()).toEqual([]);
    expect(await relayOutbox(db.sql, dapr)).toEqual({
      published: 0,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
    });
  });

  it("publishes only the topics it is given (OUTBOX_RELAY_TOPICS), leaving the others for their group", async () => {
    await commit(["task-1"], "task-events");
    const [reminder] = (await commit(["task-2"], "task-reminders")).slice(-1);
    expect(await relayOutbox(db.sql, dapr, { topics: ["task-events"] })).toMatchObject({ published: 1 });
    expect(sidecar.published.map((m) => m.topic)).toEqual(["task-events"]);
    expect((await outbox()).map((row) => row.id)).toEqual([reminder]);
    expect(await relayOutbox(db.sql, dapr, { topics: [] })).toMatchObject({ published: 0 });
    expect(await relayOutbox(db.sql, dapr, { topics: ["task-reminders"] })).toMatchObject({ published: 1 });
    expect(await outbox()).toEqual([]);
  });

  it("keeps a refused row with attempts, last_error and a backoff, and publishes it once it is due", async () => {
    const [id] = await commit(["task-1"]);
    sidecar.faults.failNextPublishes(1);
    const options = { retryInitialMs: 300, log: silentLogger };
    expect(await relayOutbox(db.sql, dapr, options)).toEqual({
      published: 0,
      failed: 1,
      deferred: 0,
      deadLettered: 0,
    });
    const [row] = await outbox();
    expect(row).toMatchObject({ id, attempts: 1, last_error: expect.stringMatching(/injected fault/) });
    expect(row?.due_in_ms).toBeGreaterThan(100);
    expect(row?.last_error?.length).toBeLessThanOrEqual(300);

    // Not due yet: a run now leaves it alone.
    expect(await relayOutbox(db.sql, dapr, options)).toEqual({
      published: 0,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
    });
    await backoffElapses();
    expect(await relayOutbox(db.sql, dapr, options)).toEqual({
      published: 1,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
    });
    expect(published().map((e) => e.id)).toEqual([id]);
    expect(await outbox()).toEqual([]);
  });

  it("backs off exponentially up to the cap", async () => {
    await commit(["task-1"]);
    const options = { retryInitialMs: 1_000, retryMaxMs: 3_000, log: silentLogger };
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      await db.sql`update outbox set next_attempt_at = now()`;
      sidecar.faults.failNextPublishes(1);
      await relayOutbox(db.sql, dapr, options);
      delays.push(Math.round(((await outbox())[0]?.due_in_ms ?? 0) / 1_000));
    }
    expect(delays).toEqual([1, 2, 3, 3]);
  });

  it("loses nothing while the sidecar is unreachable, and publishes everything once it is back", async () => {
    const ids = await commit(["a", "b", "c", "a", "b"]);
    const back = sidecar.faults.unreachableFor(400);
    const options = { retryInitialMs: 10, log: silentLogger };
    const during = await relayOutbox(db.sql, dapr, options);
    expect(during.published).toBe(0);
    expect(during.failed).toBeGreaterThan(0);
    expect((await outbox()).map((r) => r.id)).toEqual(ids);
    expect((await outbox()).find((r) => r.attempts > 0)?.last_error).toMatch(/unreachable/);
    await back;
    await backoffElapses();
    await drainOutbox(db.sql, dapr, options);
    expect(published().map((e) => e.id)).toEqual(ids);
    expect(await outbox()).toEqual([]);
  });

  it("keeps the order of a partition key across a failure, and lets other keys through", async () => {
    const ids = await commit(["A", "B", "A", "B", "A"]);
    const [a1, b1, a2, b2, a3] = ids;
    // The first wave is [a1, b1]; its first entry (a1) is refused. a2 and a3 must wait for it.
    sidecar.faults.failNextPublishes(1);
    const options = { retryInitialMs: 200, log: silentLogger };
    expect(await relayOutbox(db.sql, dapr, options)).toEqual({
      published: 2,
      failed: 1,
      deferred: 2,
      deadLettered: 0,
    });
    expect(published().map((e) => e.id)).toEqual([b1, b2]);
    // a1 waits for its retry, so a2 and a3 are not even claimed.
    expect(await relayOutbox(db.sql, dapr, options)).toEqual({
      published: 0,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
    });
    await backoffElapses();
    await drainOutbox(db.sql, dapr, options);
    expect(published().map((e) => e.id)).toEqual([b1, b2, a1, a2, a3]);
    expect(await outbox()).toEqual([]);
  });

  it("moves a row refused maxAttempts times to outbox_dead, logs it, and lets its key's later rows go", async () => {
    const [a1, b1, a2] = await commit(["A", "B", "A"]);
    // The broker refuses a1 every time, as it would an event it can never take; the rest go through.
    const publishBulk = dapr.publishBulk.bind(dapr);
    dapr.publishBulk = async (pubsub, topic, entries, options) => {
      const { failed } = await publishBulk(
        pubsub,
        topic,
        entries.filter((e) => e.entryId !== a1),
        options,
      );
      const refused = entries.some((e) => e.entryId === a1);
      return {
        failed: [...failed, ...(refused ? [{ entryId: a1 as string, error: "message too large" }] : [])],
      };
    };
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    const options = { retryInitialMs: 0, maxAttempts: 3, log };
    const runs = [];
    for (let n = 0; n < 4; n++) runs.push(await relayOutbox(db.sql, dapr, options));
    expect(runs).toEqual([
      { published: 1, failed: 1, deferred: 1, deadLettered: 0 },
      { published: 0, failed: 1, deferred: 1, deadLettered: 0 },
      { published: 0, failed: 0, deferred: 1, deadLettered: 1 },
      { published: 1, failed: 0, deferred: 0, deadLettered: 0 },
    ]);
    expect(published().map((e) => e.id)).toEqual([b1, a2]);
    expect(await outbox()).toEqual([]);
    const dead = await db.sql`select id, partition_key, attempts, last_error, dead_at from outbox_dead`;
    expect(dead).toEqual([
      { id: a1, partition_key: "A", attempts: 3, last_error: "message too large", dead_at: expect.any(Date) },
    ]);
    const errors = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === "error");
    expect(errors).toEqual([expect.objectContaining({ id: a1, partitionKey: "A", attempts: 3 })]);
  });

  it("defers a row whose key has an earlier row held by another relay", async () => {
    const [a1, a2] = await commit(["A", "A"]);
    // Another relay holds a1 (as if publishing it); this one may claim a2 but must not publish it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = db.embedded
      ? undefined
      : db.sql.begin(async (tx) => {
          await tx`select 1 from outbox where id = ${a1 as string} for update`;
          await held;
        });
    if (holder) {
      await sleep(50);
      expect(await relayOutbox(db.sql, dapr)).toEqual({
        published: 0,
        failed: 0,
        deferred: 1,
        deadLettered: 0,
      });
      release();
      await holder;
    }
    await drainOutbox(db.sql, dapr);
    expect(published().map((e) => e.id)).toEqual([a1, a2]);
  });

  it("publishes rows of several topics, each to its own topic", async () => {
    await commit(["t-1"], "task-events");
    await commit(["t-1"], "task-recurrence");
    expect(await relayOutbox(db.sql, dapr)).toMatchObject({ published: 2 });
    expect(sidecar.published.map((m) => m.topic).sort()).toEqual(["task-events", "task-recurrence"]);
  });

  it("drains more than one batch in one call", async () => {
    const ids = await commit(Array.from({ length: 25 }, (_, n) => `task-${n % 7}`));
    expect(await drainOutbox(db.sql, dapr, { batchSize: 10 })).toEqual({
      published: 25,
      failed: 0,
      deferred: 0,
      deadLettered: 0,
      more: false,
    });
    expect(published().map((e) => e.id)).toEqual(ids);
  });
});

describe.skipIf(embedded)(
  `two relays at once${embedded ? " (skipped: needs a real PostgreSQL for concurrent sessions; PGlite is one session)" : ""}`,
  () => {
    it("publish each of 500 rows exactly once, in order per partition key", async () => {
      const subjects = Array.from({ length: 500 }, (_, n) => `task-${n % 40}`);
      const ids = await commit(subjects);
      // Two replicas: separate pools, so their transactions really overlap.
      const replicas = [0, 1].map(() =>
        postgres(inject("databaseUrl"), {
          max: 2,
          onnotice: () => {},
          connection: { search_path: db.schema },
        }),
      );
      try {
        const counts = await Promise.all(
          replicas.map(async (sql) => {
            let published = 0;
            // Bounded: a relay that stops making progress fails the test instead of hanging it.
            for (let round = 0; round < 2_000; round++) {
              const result = await relayOutbox(sql, dapr, { batchSize: 25 });
              published += result.published;
              if (result.published + result.deferred === 0) {
                const [left] = await sql<[{ n: number }]>`select count(*)::int as n from outbox`;
                if (left?.n === 0) return published;
                await sleep(2);
              }
            }
            throw new Error(`relay still had rows after 2000 rounds (published ${published})`);
          }),
        );
        expect(counts[0]).toBeGreaterThan(0);
        expect(counts[1]).toBeGreaterThan(0);
        expect((counts[0] ?? 0) + (counts[1] ?? 0)).toBe(500);
      } finally {
        await Promise.all(replicas.map((sql) => sql.end({ timeout: 5 })));
      }
      const events = published();
      expect(events).toHaveLength(500);
      expect(new Set(events.map((e) => e.id)).size).toBe(500);
      for (let key = 0; key < 40; key++) {
        const subject = `task-${key}`;
        const expected = ids.filter((_, n) => subjects[n] === subject);
        expect(events.filter((e) => e.subject === subject).map((e) => e.id)).toEqual(expected);
      }
    });
  },
);
