/**
 * The Hono app of one or more function groups: `/dapr/subscribe`, one POST route per topic handler,
 * `/job/<name>` (and the `/jobs/<name>` alias), health and metrics. Built from the generated
 * registry, so adding a handler file is all it takes to get a route.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { Sql } from "postgres";
import type { DaprClient } from "../dapr/client.js";
import type { BaseContext } from "../define.js";
import { parseJsonOr } from "../json.js";
import type { Logger } from "../log.js";
import { mountMcp } from "../mcp/http.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { RegisteredJob, RegisteredSubscription, Registry } from "../registry.js";
import { programmaticSubscriptions } from "../subscriptions.js";
import { requireDaprToken } from "./auth.js";
import { deliverBulk, deliverEvent, readBulkEntries } from "./delivery.js";
import { mountHealth, type ReadinessCheck } from "./health.js";
import { runJob } from "./job-run.js";
import type { Lifecycle } from "./lifecycle.js";

export interface AppOptions {
  registry: Registry;
  /** The groups this process serves: one in a pod, all of them under `taskbeat start`. */
  groups: readonly string[];
  sql: Sql;
  dapr: DaprClient;
  log: Logger;
  metrics: RuntimeMetrics;
  lifecycle: Lifecycle;
  /** When set, Dapr-facing routes require it as `dapr-api-token`. */
  appApiToken?: string;
  readiness?: ReadinessCheck[];
  /** Host names `/mcp` answers to (DNS-rebinding protection); defaults to loopback names. */
  mcpAllowedHosts?: readonly string[];
  /** Called after a tool's transaction committed outbox events (kicks the relay). */
  onEventsCommitted?: () => void;
}

export function createApp(options: AppOptions): Hono {
  const { registry, groups, metrics, lifecycle, log } = options;
  for (const group of groups) {
    if (!registry[group])
      throw new Error(`unknown function group "${group}" (known: ${knownGroups(registry)})`);
  }
  const served = groups.map((group) => registry[group] as NonNullable<Registry[string]>);
  const base: BaseContext = {
    sql: options.sql,
    dapr: options.dapr,
    log,
    signal: lifecycle.signal,
    onEventsCommitted: options.onEventsCommitted ?? (() => {}),
  };
  const app = new Hono();

  mountHealth(app, lifecycle, metrics, options.readiness ?? []);
  const tools = served.flatMap((group) => group.tools);
  // User-facing, with its own bearer-token auth: not behind the dapr-api-token check.
  if (tools.length > 0) {
    mountMcp(app, {
      sql: options.sql,
      log,
      tools,
      lifecycle,
      ...(options.mcpAllowedHosts ? { allowedHosts: options.mcpAllowedHosts } : {}),
      ...(options.onEventsCommitted ? { onEventsCommitted: options.onEventsCommitted } : {}),
    });
  }
  // Every route daprd calls gets the token check; it is attached per route, so no route can miss it.
  const dapr: MiddlewareHandler =
    options.appApiToken === undefined ? (_c, next) => next() : requireDaprToken(options.appApiToken);

  // Computed once: daprd asks for it once per sidecar start, but tests and operators ask too.
  const subscribePayload = groups.flatMap((group) => programmaticSubscriptions(group, registry));
  app.get("/dapr/subscribe", dapr, (c) => c.json(subscribePayload));

  for (const subscription of served.flatMap((g) => g.subscriptions)) {
    // Built once per route: a child logger per delivery was a measurable share of a no-op delivery's CPU.
    const routeBase: BaseContext = { ...base, log: log.child({ route: subscription.route }) };
    app.post(subscription.route, dapr, async (c) => {
      // Not JSON → undefined, which the delivery then drops.
      const body = parseJsonOr(await c.req.text(), undefined);
      // While draining, daprd has stopped fetching and waits for what it already sent, so keep
      // handling; only past the grace period (signal aborted) hand messages back for redelivery.
      if (lifecycle.signal.aborted) return c.json(retryAll(body));
      return lifecycle.track(async () =>
        c.json(await handleDelivery(subscription, body, routeBase, c.req.header("traceparent"), options)),
      );
    });
  }

  const jobs = new Map<string, RegisteredJob>(served.flatMap((g) => g.jobs.map((job) => [job.name, job])));
  const jobRoute = async (c: Context) => {
    const name = c.req.param("name") ?? "";
    const job = jobs.get(name);
    // 404 counts as success to daprd (the tick is not retried), which is right for a job we don't serve.
    if (!job) return c.json({ error: `no job named "${name}" here` }, 404);
    // A tick that arrives while shutting down fails, so the failure policy retries it, possibly
    // on another replica; starting new work now would only be cut off.
    if (lifecycle.isDraining) return c.json({ error: "shutting down" }, 503);
    return lifecycle.track(async () => {
      const startedAt = performance.now();
      const jobLog = log.child({ job: name });
      const result = await runJob(
        job.unit,
        await c.req.text(),
        { ...base, log: jobLog },
        c.req.header("traceparent"),
      );
      metrics.jobRuns.inc({ job: name, outcome: result.status === 200 ? "success" : "failure" });
      metrics.jobSeconds.observe({ job: name }, (performance.now() - startedAt) / 1000);
      return result.status === 200 ? c.body(null, 204) : c.json({ error: result.error }, result.status);
    });
  };
  app.post("/job/:name", dapr, jobRoute);
  app.post("/jobs/:name", dapr, jobRoute);

  app.onError((error, c) => {
    // Only reached for bugs in the runtime itself; keep details in the log, not in the answer.
    log.error("unhandled error in router", { error, path: c.req.path });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

async function handleDelivery(
  subscription: RegisteredSubscription,
  body: unknown,
  base: BaseContext,
  traceparent: string | undefined,
  { metrics }: AppOptions,
) {
  // `base.log` already carries the route (built once per route in createApp).
  const route = subscription.route;
  const entries = readBulkEntries(body);
  if (entries) {
    const statuses = await deliverBulk(subscription.unit, entries, base, traceparent, (result, t0) =>
      record(metrics, route, result.status, t0),
    );
    return { statuses };
  }
  const startedAt = performance.now();
  const result = await deliverEvent(subscription.unit, body, base, traceparent);
  record(metrics, route, result.status, startedAt);
  return { status: result.status };
}

function record(metrics: RuntimeMetrics, route: string, status: string, startedAt: number) {
  metrics.deliveries.inc({ route, outcome: status.toLowerCase() });
  metrics.deliverySeconds.observe({ route }, (performance.now() - startedAt) / 1000);
}

/** RETRY for a single delivery, or for every entry of a bulk one (a missing entryId would mean the same). */
function retryAll(body: unknown) {
  const entries = readBulkEntries(body);
  return entries
    ? { statuses: entries.map(({ entryId }) => ({ entryId, status: "RETRY" as const })) }
    : { status: "RETRY" as const };
}

const knownGroups = (registry: Registry) => Object.keys(registry).join(", ") || "none";
