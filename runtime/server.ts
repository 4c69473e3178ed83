/**
 * Runs function groups as a Dapr app: bring the database schema up to date, listen (daprd waits for
 * the app port before it reports healthy, contract §7.2), then wait for the sidecar's outbound health,
 * then register the groups' jobs. Outbox rows are published right after commit by one Relay per
 * process. SIGTERM stops new work, lets in-flight deliveries finish within the grace period, lets
 * the relay finish its run, closes the database and exits.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import type { Sql } from "postgres";
import type { Config } from "./config.js";
import { createDaprClient } from "./dapr/client.js";
import { createSql, databaseReachable } from "./db/client.js";
import { loadMigrations, migrate, waitForSchema } from "./db/migrate.js";
import { databaseGauges } from "./db-gauges.js";
import type { SetupContext } from "./define.js";
import { registerJobs } from "./jobs/register.js";
import { loadJobSpecs } from "./jobs/spec.js";
import { listenError } from "./listen-error.js";
import type { Logger } from "./log.js";
import { DEFAULT_ALLOWED_HOSTS } from "./mcp/allowed-hosts.js";
import { RuntimeMetrics } from "./metrics.js";
import { Relay } from "./outbox/relay-runner.js";
import { type Registry, setupsOf } from "./registry.js";
import { createApp } from "./router/app.js";
import type { ReadinessCheck } from "./router/health.js";
import { Lifecycle } from "./router/lifecycle.js";

// Every process's relay looks for ready rows at least this often (see RelayRunnerOptions.backstopMs).
const RELAY_BACKSTOP_MS = 10_000;
// How long a finished answer may take to leave the socket after its handler settled.
const RESPONSE_FLUSH_MS = 250;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface ServeOptions {
  config: Config;
  /** The groups' units; a promise lets their import overlap the database connection and migrations. */
  registry: Registry | Promise<Registry>;
  groups: readonly string[];
  log: Logger;
  /** Extra `/readyz` checks, beside those the groups' setups contribute. */
  readiness?: ReadinessCheck[];
  /** Where to listen when `HOST` is not set. */
  defaultHost: string;
  /** SHUTDOWN_DELAY_MS when it is not set: a few seconds in a pod (`serve`), none on a laptop. */
  defaultShutdownDelayMs?: number;
  /**
   * Aborted when the process is told to stop before start-up finished (a pod deleted while its sidecar
   * is still coming up): the wait ends, requests already being served finish, and serveGroups rejects
   * with the signal's reason once everything it opened is closed.
   */
  stop?: AbortSignal;
}

export interface RunningApp {
  app: Hono;
  url: string;
  port: number;
  metrics: RuntimeMetrics;
  /** The process's database pool (the "no database configured" stand-in without DATABASE_URL). */
  sql: Sql;
  /** Publishes outbox rows right after commit; undefined without a database. */
  relay: Relay | undefined;
  /** Pass to whatever writes outbox rows outside a handler, so committed events are published at once. */
  onEventsCommitted: () => void;
  /** What the groups' setup hooks were given (for `taskbeat start`'s banner). */
  setupContext: SetupContext;
  /** Graceful stop: no new work, in-flight work finishes (within SHUTDOWN_GRACE_MS), DB closed. */
  close(): Promise<void>;
}

export async function serveGroups(options: ServeOptions): Promise<RunningApp> {
  const { config, groups, log } = options;
  // Settled below, after the database work it overlaps; a failure is reported there, not as unhandled.
  const loading = Promise.resolve(options.registry);
  loading.catch(() => {});
  const sql = createSql({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
  const dapr = createDaprClient(config, log);
  if (config.DATABASE_URL) {
    try {
      await prepareSchema(sql, config, log);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
  }
  let registry: Registry;
  try {
    registry = await loading;
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
  const setups = setupsOf(registry, groups);
  const setupContext: SetupContext = { config, sql, dapr, log };
  // What the setups opened (a mailer, say), stopped in reverse order after the last delivery.
  const started: { stop(): unknown }[] = [];
  const stopSetups = async () => {
    for (const opened of started.splice(0).reverse()) await opened.stop();
  };
  try {
    for (const setup of setups) {
      const opened = await setup.start?.(setupContext);
      if (opened) started.push(opened);
    }
  } catch (error) {
    await stopSetups();
    await sql.end({ timeout: 1 });
    throw error;
  }
  const relay = config.DATABASE_URL
    ? new Relay(sql, dapr, {
        log: log.child({ component: "relay" }),
        backstopMs: RELAY_BACKSTOP_MS,
        ...(config.OUTBOX_RELAY_TOPICS ? { topics: config.OUTBOX_RELAY_TOPICS } : {}),
      })
    : undefined;
  const onEventsCommitted = () => relay?.kick();
  const metrics = new RuntimeMetrics();
  if (config.DATABASE_URL)
    metrics.addCollector(databaseGauges(sql, { log: log.child({ component: "metrics" }) }));
  const lifecycle = new Lifecycle();
  const readiness: ReadinessCheck[] = [
    { name: "sidecar", check: (signal) => dapr.ping(signal) },
    ...(config.DATABASE_URL
      ? [{ name: "database", check: (s: AbortSignal) => databaseReachable(sql, s) }]
      : []),
    ...(options.readiness ?? []),
    ...setups.flatMap((setup) => setup.readiness?.(setupContext) ?? []),
  ];
  const app = createApp({
    registry,
    groups,
    sql,
    dapr,
    log,
    metrics,
    lifecycle,
    readiness,
    ...(config.APP_API_TOKEN ? { appApiToken: config.APP_API_TOKEN } : {}),
    ...mcpHosts(config),
    maxRequestBodyBytes: config.APP_MAX_REQUEST_BODY_BYTES,
    onEventsCommitted,
    setupContext,
  });

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Once shutdown began, every answer closes its connection, so clients stop reusing sockets before the
  // listener closes (a request written to a kept-alive socket just as it is closed would fail). Set here,
  // not in a Hono middleware, which would cost every delivery a promise.
  server.on("request", (_req, res) => {
    if (lifecycle.isLeaving) res.setHeader("connection", "close");
  });
  const host = config.HOST ?? options.defaultHost;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // Close what start-up opened, or the pool keeps the process alive with nothing listening.
    await relay?.close();
    await sql.end({ timeout: 1 });
    await stopSetups();
    throw listenError(error, "the app", host, config.PORT, "PORT");
  }
  server.on("error", (error) => log.error("http server error", { error }));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;
  log.info("listening", { url, host, groups });

  const shutdownDelayMs = config.SHUTDOWN_DELAY_MS ?? options.defaultShutdownDelayMs ?? 0;
  let closing: Promise<void> | undefined;
  let serving = false;
  const close = () => {
    closing ??= (async () => {
      // Phase 1: /readyz turns 503 at once, and requests keep being served in full while Kubernetes
      // removes the pod from its Services (kube-proxy and ingresses learn of it with a delay).
      lifecycle.leave();
      log.info("shutting down", {
        inFlight: lifecycle.inFlight,
        delayMs: shutdownDelayMs,
        graceMs: config.SHUTDOWN_GRACE_MS,
      });
      // Not when start-up failed: nothing was routed here yet.
      if (serving && shutdownDelayMs > 0) await delay(shutdownDelayMs);
      // Phase 2: no new connections; in-flight work finishes within the grace period.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      log.info("listener closed", { inFlight: lifecycle.inFlight });
      server.closeIdleConnections();
      const finished = await lifecycle.drain(config.SHUTDOWN_GRACE_MS);
      if (finished) {
        // The last answers may still be on their way out (a handler settles before its response is
        // written); give them a moment, then cut whatever keep-alive connection is left.
        await Promise.race([closed, delay(RESPONSE_FLUSH_MS)]);
      } else {
        log.warn("grace period elapsed with work in flight; Dapr will redeliver it");
      }
      server.closeAllConnections();
      await closed;
      // Its transaction must end before the pool does; rows it did not get to stay for the next start.
      await relay?.close();
      await sql.end({ timeout: 1 });
      await stopSetups();
      log.info("stopped");
    })();
    return closing;
  };

  try {
    options.stop?.throwIfAborted();
    await dapr.waitForSidecar({
      timeoutMs: config.DAPR_WAIT_MS,
      ...(options.stop ? { signal: options.stop } : {}),
    });
    const jobNames = groups.flatMap((group) => registry[group]?.jobs.map((job) => job.name) ?? []);
    if (jobNames.length > 0) {
      await registerJobs(dapr, jobNames, await loadJobSpecs(config.JOBS_DIR), log);
    }
    // Rows committed while no process was publishing (a crash, an outage) go out now.
    relay?.kick();
    serving = true;
  } catch (error) {
    await close();
    throw error;
  }
  return { app, url, port, metrics, sql, relay, onEventsCommitted, setupContext, close };
}

/**
 * With MIGRATE_ON_START (the default) every replica of every group migrates at start, taking turns under
 * the advisory lock. Without it a pre-deploy Job migrates (`taskbeat migrate`), and the app waits until the
 * database has the schema version this build needs, so it never runs against an older one.
 */
async function prepareSchema(sql: Sql, config: Config, log: Logger): Promise<void> {
  const migrations = await loadMigrations();
  if (config.MIGRATE_ON_START) {
    const applied = await migrate(sql, migrations, {
      lockTimeoutMs: config.MIGRATE_LOCK_TIMEOUT_MS,
      onRetry: (retry) => log.warn("migration waited too long for a lock; trying again", retry),
    });
    if (applied.length > 0) log.info("database migrated", { applied });
    return;
  }
  const needed = migrations.at(-1)?.version ?? 0;
  await waitForSchema(sql, needed, {
    timeoutMs: config.MIGRATE_WAIT_MS,
    onWait: (current) =>
      log.info("waiting for the database schema (MIGRATE_ON_START=false: `taskbeat migrate` applies it)", {
        current,
        needed,
      }),
  });
}

/** Exits cleanly on SIGTERM/SIGINT; a second signal exits at once. */
export function closeOnSignals(close: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info("signal received", { signal });
    close().then(
      () => process.exit(0),
      (error) => {
        log.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * The host names `/mcp` answers to: MCP_ALLOWED_HOSTS, else loopback; and always PUBLIC_URL's host, which
 * is by definition the name clients use (a deployment that set PUBLIC_URL must not also have to repeat it).
 */
function mcpHosts(config: Config): { mcpAllowedHosts?: readonly string[] } {
  const publicHost = config.PUBLIC_URL ? new URL(config.PUBLIC_URL).hostname : undefined;
  if (!config.MCP_ALLOWED_HOSTS && !publicHost) return {};
  const listed = config.MCP_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS;
  return { mcpAllowedHosts: publicHost ? [...listed, publicHost] : listed };
}
