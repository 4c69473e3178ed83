/**
 * check-due-tasks as daprd runs it: through the router (`POST /job/check-due-tasks`), through the
 * local sidecar's scheduler from jobs/check-due-tasks.json, and as two instances ticking at once; its
 * last run in the state store, and the group's `/readyz` answer built on it.
 */
import { fileURLToPath } from "node:url";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../runtime/config.js";
import { DaprClient } from "../../runtime/dapr/client.js";
import type { JobContext } from "../../runtime/define.js";
import { type LocalSidecar, startSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { registerJobs } from "../../runtime/jobs/register.js";
import { loadJobSpecs } from "../../runtime/jobs/spec.js";
import { createLogger, type Logger, silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import { serveGroups } from "../../runtime/server.js";
import { parseTraceparent } from "../../runtime/trace.js";
import {
  reminderEvents,
  reminderStates,
  seedReminders,
  seedTasks,
  seedUser,
} from "../../test/support/claim-fixtures.js";
import { useTestDb } from "../../test/support/db.js";
import { type Served, serveApp } from "../../test/support/http.js";
import { freePort } from "../../test/support/ports.js";
import { LAST_RUN_KEY, type LastRun, readLastRun, STATE_STORE } from "./_last-run.js";
import { notificationReadiness, SCHEDULE_MS } from "./_readiness.js";
import checkDueTasks from "./check-due-tasks.job.js";

const db = useTestDb("notification-check-due-tasks");
const jobsDir = fileURLToPath(new URL("../../jobs", import.meta.url));

let sidecar: LocalSidecar;
let dapr: DaprClient;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  sidecar = await startSidecar({ log: silentLogger });
  dapr = new DaprClient({ baseUrl: sidecar.url, log: silentLogger });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await sidecar.close();
});
beforeEach(async () => {
  await db.sql`delete from outbox`;
  await db.sql`delete from reminders`;
  await dapr.state.delete(STATE_STORE, LAST_RUN_KEY);
});

/** The notification group's app, built from the generated registry as `taskbeat serve` builds it. */
async function serveNotification(
  options: { sql?: Sql; dapr?: DaprClient; log?: Logger; lifecycle?: Lifecycle } = {},
) {
  const client = options.dapr ?? dapr;
  const served = await serveApp(
    createApp({
      registry,
      groups: ["notification"],
      sql: options.sql ?? db.sql,
      dapr: client,
      log: options.log ?? silentLogger,
      metrics: new RuntimeMetrics(),
      lifecycle: options.lifecycle ?? new Lifecycle(),
      readiness: [notificationReadiness(client)],
    }),
  );
  closers.push(served.close);
  return served;
}

// What daprd sends for a job without data (contract §5.3): POST, JSON content type, empty body.
const tick = (served: Served, traceparent?: string) =>
  fetch(`${served.url}/job/check-due-tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(traceparent ? { traceparent } : {}) },
  });

async function dueReminders(n: number, options: { completed?: boolean } = {}) {
  const user = await seedUser(db.sql);
  return seedReminders(db.sql, await seedTasks(db.sql, user, n, options), { inSeconds: -30, stepSeconds: 1 });
}

describe("POST /job/check-due-tasks", () => {
  it("answers 204, claims the due reminders, records the run, and /readyz reports it", async () => {
    const served = await serveNotification();
    const due = await dueReminders(3);
    const cancelled = await dueReminders(1, { completed: true });
    const before = Date.now();

    expect((await tick(served)).status).toBe(204);

    expect((await reminderEvents(db.sql)).map((e) => e.event.subject)).toEqual(due);
    expect((await reminderStates(db.sql, cancelled))[0]?.state).toBe("cancelled");
    const run = (await dapr.state.get<LastRun>(STATE_STORE, LAST_RUN_KEY))?.value;
    expect(run).toEqual({ at: expect.any(String), claimed: 3, cancelled: 1 });
    expect(Date.parse(run?.at ?? "")).toBeGreaterThanOrEqual(before - 1000);
    const ready = await fetch(`${served.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { "check-due-tasks": { ok: true, lastRunAt: run?.at, claimed: 3 } },
    });

    // The next tick finds nothing and says so.
    expect((await tick(served)).status).toBe(204);
    expect(await reminderEvents(db.sql)).toHaveLength(3);
    expect(await readLastRun(dapr)).toMatchObject({ claimed: 0, cancelled: 0 });
  });

  it("claims a reminder falling due between ticks at its remind_at, without another tick, in a trace of its own", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const served = await serveNotification({
      log: createLogger({ write: (line) => lines.push(JSON.parse(line)) }),
    });
    const user = await seedUser(db.sql);
    const [soon] = await seedReminders(db.sql, await seedTasks(db.sql, user, 1), { inSeconds: 2 });
    const [row] = await db.sql<
      { at: Date }[]
    >`select remind_at as at from reminders where id = ${soon as string}`;

    // The tick comes from daprd's scheduler with a trace of its own.
    const tickTrace = "0af7651916cd43dd8448eb211c80319c";
    expect((await tick(served, `00-${tickTrace}-b7ad6b7169203331-01`)).status).toBe(204);
    expect(await reminderEvents(db.sql)).toHaveLength(0);

    // Nothing ticks in this test (no scheduler): only the alarm can claim it.
    await expect.poll(async () => (await reminderEvents(db.sql)).length, { timeout: 6_000 }).toBe(1);
    const claimed = lines.find((l) => l.msg === "due reminders claimed");
    expect(claimed).toMatchObject({ trigger: "alarm", published: 1 });
    // Not early: the claim compares remind_at with the database's now().
    expect(Date.parse(String(claimed?.time))).toBeGreaterThanOrEqual((row?.at.getTime() ?? 0) - 50);
    // Its event and its log line share a new trace, not the tick's that armed the alarm seconds before.
    const [event] = await reminderEvents(db.sql);
    const trace = parseTraceparent((event?.event as { traceparent?: string } | undefined)?.traceparent);
    expect(trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace?.traceId).not.toBe(tickTrace);
    expect(claimed?.trace_id).toBe(trace?.traceId);
  });

  it("claims nothing on time once shutdown began: the alarm stops with the process", async () => {
    const lifecycle = new Lifecycle();
    const served = await serveNotification({ lifecycle });
    const user = await seedUser(db.sql);
    const [soon] = await seedReminders(db.sql, await seedTasks(db.sql, user, 1), { inSeconds: 1.5 });

    expect((await tick(served)).status).toBe(204);
    expect(await lifecycle.drain(0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    expect(await reminderEvents(db.sql)).toHaveLength(0);
    expect((await reminderStates(db.sql, [soon as string]))[0]?.state).toBe("pending");
  });

  it("still succeeds when the run cannot be recorded, and logs why", async () => {
    const lines: string[] = [];
    const unreachable = new DaprClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    const served = await serveNotification({
      dapr: unreachable,
      log: createLogger({ write: (line) => lines.push(line) }),
    });
    const due = await dueReminders(2);

    expect((await tick(served)).status).toBe(204);
    expect(await reminderEvents(db.sql)).toHaveLength(due.length);
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ level: "warn", msg: "could not record the last run in the state store" }),
    );
  });

  it("answers 500 when the claim fails, so the job's bounded failure policy retries it", async () => {
    const down = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/none`, {
      max: 1,
      connect_timeout: 1,
      onnotice: () => {},
    });
    closers.push(() => down.end({ timeout: 1 }));
    const served = await serveNotification({ sql: down });
    expect((await tick(served)).status).toBe(500);
    expect(await readLastRun(dapr)).toBeUndefined();
  });
});

describe("jobs/check-due-tasks.json", () => {
  it("is what readiness assumes: every 5 s from now, with a bounded failure policy", async () => {
    const spec = (await loadJobSpecs(jobsDir)).get("check-due-tasks");
    expect(spec).toEqual({
      schedule: `@every ${SCHEDULE_MS / 1000}s`,
      dueTime: "0s",
      failurePolicy: { constant: { interval: "1s", maxRetries: 2 } },
    });
  });

  it("registered with the local sidecar, fires the job into the app at once", async () => {
    const port = await freePort();
    const client = new DaprClient({ baseUrl: `http://127.0.0.1:${port}`, log: silentLogger });
    const served = await serveNotification({ dapr: client });
    const scheduler = await startSidecar({ port, appUrl: served.url, log: silentLogger });
    closers.push(() => scheduler.close());
    await scheduler.ready();
    const due = await dueReminders(2);

    await registerJobs(client, ["check-due-tasks"], await loadJobSpecs(jobsDir), silentLogger);

    await expect.poll(async () => (await reminderEvents(db.sql)).length, { timeout: 5_000 }).toBe(due.length);
    await expect.poll(() => readLastRun(client), { timeout: 5_000 }).toMatchObject({ claimed: 2 });
    await scheduler.close();
  });
});

describe.skipIf(inject("databaseIsEmbedded"))(
  "two instances ticking at once (skipped: needs a PostgreSQL server, not PGlite)",
  () => {
    it("200 reminders falling due while both tick → exactly 200 events, each reminder once", async () => {
      const pools = [0, 1].map(() =>
        postgres(inject("databaseUrl"), {
          max: 3,
          onnotice: () => {},
          connection: { search_path: db.schema },
        }),
      );
      closers.push(() => Promise.all(pools.map((sql) => sql.end({ timeout: 5 }))).then(() => {}));
      // Closers run last-in first: the instances' claim alarms stop before their pools end.
      const stop = new AbortController();
      closers.push(async () => stop.abort());
      const contexts = pools.map(
        (sql): JobContext => ({
          sql,
          dapr,
          log: silentLogger,
          signal: new AbortController().signal,
          stopping: stop.signal,
          onEventsCommitted: () => {},
          job: { name: "check-due-tasks" },
        }),
      );
      const user = await seedUser(db.sql);
      // One every 5 ms from now, so most ticks find newly due ones and both instances race for them.
      const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 100), {
        inSeconds: 0,
        stepSeconds: 0.005,
        perTask: 2,
      });
      const both = () => Promise.all(contexts.map((ctx) => checkDueTasks.handle(undefined, ctx)));
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        await both();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await both();

      const events = await reminderEvents(db.sql);
      expect(events).toHaveLength(200);
      expect(new Set(events.map((e) => e.event.subject))).toEqual(new Set(ids));
      const states = await reminderStates(db.sql, ids);
      expect(states.filter((r) => r.state !== "published" || r.attempts !== 1)).toEqual([]);
    });
  },
);

// PGlite serves one session, which this file's own pool holds; a second process-like pool needs a server.
describe.skipIf(inject("databaseIsEmbedded"))("serveGroups (skipped: needs a PostgreSQL server)", () => {
  it("adds the check to /readyz where it serves the notification group, and only there", async () => {
    const serve = (groups: string[]) =>
      serveGroups({
        config: loadConfig({
          DATABASE_URL: db.url,
          PORT: String(0),
          DAPR_HTTP_PORT: String(sidecar.port),
          JOBS_DIR: jobsDir,
          DAPR_WAIT_MS: "5000",
        }),
        registry,
        groups,
        log: silentLogger,
        defaultHost: "127.0.0.1",
      });
    for (const [groups, expected] of [
      [["notification"], true],
      [["backend"], false],
    ] as const) {
      const running = await serve([...groups]);
      try {
        const body = (await (await fetch(`${running.url}/readyz`)).json()) as {
          checks: Record<string, unknown>;
        };
        expect(Object.keys(body.checks).includes("check-due-tasks"), groups.join()).toBe(expected);
        if (expected)
          expect(body.checks["check-due-tasks"]).toEqual({ ok: true, lastRunAt: null, claimed: null });
      } finally {
        await running.close();
      }
    }
  });
});

describe("notificationReadiness", () => {
  const record = (at: number) =>
    dapr.state.save(STATE_STORE, [
      { key: LAST_RUN_KEY, value: { at: new Date(at).toISOString(), claimed: 7, cancelled: 0 } },
    ]);
  const signal = () => AbortSignal.timeout(2_000);

  it("is ready during the start-up grace before any run, then not without one", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const check = notificationReadiness(dapr, { now: () => now });
    expect(await check.check(signal())).toEqual({ ok: true, lastRunAt: null, claimed: null });
    now += 30_000;
    expect(await check.check(signal())).toEqual({ ok: false, lastRunAt: null, claimed: null });
  });

  it("is ready while the last run is at most three ticks old", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const check = notificationReadiness(dapr, { now: () => now });
    now += 60_000;
    await record(now - 15_000);
    expect(await check.check(signal())).toEqual({
      ok: true,
      lastRunAt: new Date(now - 15_000).toISOString(),
      claimed: 7,
    });
    now += 1;
    expect(await check.check(signal())).toMatchObject({ ok: false, claimed: 7 });
  });

  it("ignores a stale run from before this start during the grace, and a value that is not a run", async () => {
    const now = Date.parse("2026-03-01T10:00:00Z");
    const check = notificationReadiness(dapr, { now: () => now });
    await record(now - 3_600_000);
    expect(await check.check(signal())).toMatchObject({ ok: true, claimed: 7 });
    await dapr.state.save(STATE_STORE, [{ key: LAST_RUN_KEY, value: "garbage" }]);
    expect(await check.check(signal())).toEqual({ ok: true, lastRunAt: null, claimed: null });
  });

  it("fails (not ready) when the state store cannot be read", async () => {
    const unreachable = new DaprClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    await expect(notificationReadiness(unreachable).check(signal())).rejects.toThrow();
  });
});
