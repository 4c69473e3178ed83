/**
 * One server under load, in its own process: `node --import tsx bench/server.ts <kind> <port> [sidecarPort]`.
 * Kinds: `taskbeat` (the router from generated-style registry; no-op handlers behind a schema for the bench's
 * event data), `bare` (a Hono route doing the same JSON parse), `dapr` (`@dapr/dapr` DaprServer, its client pointed at a local sidecar started
 * here), `sidecar` (the local sidecar alone, for the outbox relay). Prints `READY` once it listens.
 */
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import type { Sql } from "postgres";
import type { DaprClient } from "../runtime/dapr/client.js";
import { startSidecar } from "../runtime/dev-sidecar/sidecar.js";
import { buildRegistry } from "../runtime/gen/render-registry.js";
import { scanFunctions } from "../runtime/gen/scan.js";
import { silentLogger } from "../runtime/log.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import { createApp } from "../runtime/router/app.js";
import { Lifecycle } from "../runtime/router/lifecycle.js";

const [kind, portArg, sidecarPortArg] = process.argv.slice(2);
const port = Number(portArg);
const host = "127.0.0.1";

function listen(app: Hono): Promise<void> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return new Promise((resolve) => server.listen(port, host, resolve));
}

async function taskbeat() {
  const fixtures = fileURLToPath(new URL("./fixtures/functions", import.meta.url));
  const registry = buildRegistry(await scanFunctions(fixtures));
  // No-op handlers never touch the database or the sidecar.
  const unused = new Proxy({}, { get: () => Promise.reject(new Error("not used by the bench handlers")) });
  const app = createApp({
    registry,
    groups: ["bench"],
    sql: unused as Sql,
    dapr: unused as DaprClient,
    log: silentLogger,
    metrics: new RuntimeMetrics(),
    lifecycle: new Lifecycle(),
  });
  await listen(app);
}

async function bare() {
  const app = new Hono();
  app.post("/bare/noop", async (c) => {
    JSON.parse(await c.req.text());
    return c.json({ status: "SUCCESS" });
  });
  app.post("/bare/noop-bulk", async (c) => {
    const body = JSON.parse(await c.req.text()) as { entries: { entryId: string }[] };
    return c.json({ statuses: body.entries.map((e) => ({ entryId: e.entryId, status: "SUCCESS" })) });
  });
  await listen(app);
}

async function dapr() {
  const sidecar = await startSidecar({ port: Number(sidecarPortArg), log: silentLogger });
  const { CommunicationProtocolEnum, DaprServer, LogLevel } = await import("@dapr/dapr");
  const server = new DaprServer({
    serverHost: host,
    serverPort: String(port),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    clientOptions: { daprHost: host, daprPort: String(sidecar.port) },
    logger: { level: LogLevel.Error },
  });
  await server.pubsub.subscribe("pubsub", "noop", async () => {});
  await server.pubsub.subscribeBulk("pubsub", "noop-bulk", async () => {}, {
    maxMessagesCount: 10,
    maxAwaitDurationMs: 1000,
  });
  await server.start();
}

async function sidecar() {
  await startSidecar({ port, log: silentLogger });
}

const kinds: Record<string, () => Promise<void>> = { taskbeat, bare, dapr, sidecar };
const start = kinds[kind ?? ""];
if (!start) throw new Error(`unknown server kind "${kind}" (known: ${Object.keys(kinds).join(", ")})`);
await start();
process.stdout.write("READY\n");
// Exit through process.exit so `--cpu-prof` writes its profile.
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => process.exit(0));
