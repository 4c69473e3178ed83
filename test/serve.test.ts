/**
 * A group served as in a pod, behind the local sidecar, over real HTTP and real signals:
 * start-up order, job registration and firing, delivery, and SIGTERM with work in flight.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createCloudEvent } from "../runtime/cloudevent.js";
import { DaprClient } from "../runtime/dapr/client.js";
import { type LocalSidecar, type SidecarOptions, startSidecar } from "../runtime/dev/sidecar.js";
import { silentLogger } from "../runtime/log.js";
import { freePort } from "./support/ports.js";
import { type Spawned, spawnTs } from "./support/process.js";

const fixture = fileURLToPath(new URL("./fixtures/serve/", import.meta.url));

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
