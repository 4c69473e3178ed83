/**
 * A group served as in a pod, behind the local sidecar, over real HTTP and real signals:
 * start-up order, job registration and firing, delivery, SIGTERM with work in flight, and with a
 * database: migrations before listening and the outbox relay (at start and right after commit).
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createCloudEvent } from "../runtime/cloudevent.js";
import { DaprClient } from "../runtime/dapr/client.js";
import { type LocalSidecar, type SidecarOptions, startSidecar } from "../runtime/dev-sidecar/sidecar.js";
import { silentLogger } from "../runtime/log.js";
import { spawnTaskbeat } from "./support/chaos.js";
import { useTestDb } from "./support/db.js";
import { freePort } from "./support/ports.js";
import { type Spawned, spawnTs } from "./support/process.js";

const fixture = fileURLToPath(new URL("./fixtures/serve/", import.meta.url));
const db = useTestDb("serve");
const embedded = inject("databaseIsEmbedded");

let sidecar: LocalSidecar | undefined;
const apps: Spawned[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) app.child.kill("SIGKILL");
  await sidecar?.close();
  sidecar = undefined;
});

function spawnApp(appPort: number, daprPort: number, env: Record<string, string>): Spawned {
  const spawned = spawnTs(`${fixture}app.ts`, [], {
    PORT: String(appPort),
    DAPR_HTTP_PORT: String(daprPort),
    JOBS_DIR: `${fixture}jobs`,
    SHUTDOWN_GRACE_MS: "5000",
    // Only the tests that want a database get one; never the one the tests run on.
    DATABASE_URL: "",
    ...env,
  });
  apps.push(spawned);
  return spawned;
}

async function startBoth(env: Record<string, string> = {}, retry?: SidecarOptions["retry"]) {
  const appPort = await freePort();
  sidecar = await startSidecar({
    appUrl: `http://127.0.0.1:${appPort}`,
    appId: "fixture",
    log: silentLogger,
    ...(retry ? { retry } : {}),
  });
  const app = spawnApp(appPort, sidecar.port, env);
  await app.waitFor(/^listening /);
  await sidecar.ready();
  return { sidecar, app, appPort, client: new DaprClient({ baseUrl: sidecar.url, log: silentLogger }) };
}

describe("serving a group behind the sidecar", () => {
  it("registers its jobs at start, and the sidecar fires them at POST /job/<name>", async () => {
    const { client, app } = await startBoth();
    const job = await client.jobs.get("heartbeat");
    expect(job).toMatchObject({ schedule: "@every 1s", dueTime: "0s" });
    await app.waitFor(/^heartbeat$/, 5_000);
  });

  it("delivers a published event to the handler with the publisher's id", async () => {
    const { client, app, sidecar } = await startBoth();
    const event = createCloudEvent({ type: "fixture.slow.v1", data: { ms: 0 } });
    await client.publish("pubsub", "slow", event);
    await app.waitFor(new RegExp(`^handled ${event.id}$`));
    await sidecar.idle();
  });

  it("SIGTERM lets an in-flight delivery finish, then exits 0", async () => {
    const { client, app, sidecar } = await startBoth();
    const event = createCloudEvent({ type: "fixture.slow.v1", data: { ms: 600 } });
    await client.publish("pubsub", "slow", event);
    await app.waitFor(new RegExp(`^started ${event.id}$`));
    app.child.kill("SIGTERM");
    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(app.lines).toContain(`handled ${event.id}`);
    expect(app.lines.filter((line) => line === `started ${event.id}`)).toHaveLength(1);
    await sidecar.idle();
    // Acknowledged, not dead-lettered: nothing but the event itself was ever published.
    expect(sidecar.published.map((m) => m.topic)).toEqual(["slow"]);
  });

  it("SIGTERM past the grace period still exits, and the message is redelivered to the next instance", async () => {
    // Enough retries to outlast the restart, as a Resiliency policy would give in production.
    const retry = { maxAttempts: 50, initialIntervalMs: 100, maxIntervalMs: 200 };
    const { client, app, sidecar, appPort } = await startBoth({ SHUTDOWN_GRACE_MS: "200" }, retry);
    const event = createCloudEvent({ type: "fixture.slow.v1", data: { ms: 1_500 } });
    await client.publish("pubsub", "slow", event);
    await app.waitFor(new RegExp(`^started ${event.id}$`));
    app.child.kill("SIGTERM");
    expect((await app.exited).code).toBe(0);
    expect(app.lines).not.toContain(`handled ${event.id}`);

    const next = spawnApp(appPort, sidecar.port, {});
    await next.waitFor(new RegExp(`^handled ${event.id}$`), 15_000);
    next.child.kill("SIGTERM");
    await next.exited;
  });
});

describe("serving a group with a database", () => {
  const withDb = () => ({ DATABASE_URL: db.url, ...(db.embedded ? { DATABASE_POOL_MAX: "1" } : {}) });

  it.skipIf(embedded)(
    `migrates an empty database at start${embedded ? " (skipped: needs a real PostgreSQL for a schema of its own)" : ""}`,
    async () => {
      const schema = `${db.schema}_fresh`;
      await db.sql.unsafe(`create schema ${schema}`);
      try {
        const url = new URL(db.url);
        url.searchParams.set("options", `-c search_path=${schema}`);
        await startBoth({ DATABASE_URL: url.toString() });
        const [row] = await db.sql<[{ n: number }]>`
          select count(*)::int as n from information_schema.tables
          where table_schema = ${schema} and table_name in ('outbox', 'taskbeat_migrations')`;
        expect(row?.n).toBe(2);
      } finally {
        await db.sql.unsafe(`drop schema ${schema} cascade`);
      }
    },
  );

  it("publishes outbox rows left from before at start, and new ones right after commit", async () => {
    await db.sql`delete from outbox`;
    await db.sql`
      insert into outbox (id, pubsub, topic, partition_key, event)
      values (gen_random_uuid(), 'pubsub', 'emitted', 'left-over',
        ${db.sql.json({ specversion: "1.0", id: "left-over", type: "fixture.emitted.v1", source: "test", data: {} })})`;
    const { client, sidecar } = await startBoth(withDb());
    const emitted = () =>
      sidecar.published.filter((m) => m.topic === "emitted").map((m) => m.metadata.partitionKey);
    await expect.poll(emitted, { timeout: 5_000 }).toEqual(["left-over"]);

    // The fixture has no relay-outbox job: only the after-commit kick can publish this one.
    await client.publish(
      "pubsub",
      "emit",
      createCloudEvent({ type: "fixture.emit.v1", data: { subject: "task-7" } }),
    );
    await expect.poll(emitted, { timeout: 5_000 }).toEqual(["left-over", "task-7"]);
    const [left] = await db.sql<[{ n: number }]>`select count(*)::int as n from outbox`;
    expect(left?.n).toBe(0);
  });
});

describe("`taskbeat serve` stopped while its sidecar is not up yet", () => {
  it("drains and exits 0 on SIGTERM during the sidecar wait, rather than dying of the signal", async () => {
    // Nothing listens on the sidecar port: the app listens (it must, daprd probes it) and waits.
    const app = spawnTaskbeat(["serve", "--group", "backend"], {
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      DAPR_HTTP_PORT: String(await freePort()),
      DAPR_WAIT_MS: "60000",
    });
    try {
      await app.waitForLog("waiting for dapr sidecar");
      app.child.kill("SIGTERM");
      expect(await app.exited).toEqual({ code: 0, signal: null });
      await app.waitForLog("stopped");
    } finally {
      if (app.alive()) app.child.kill("SIGKILL");
    }
  });
});
