/**
 * The Hono app of one or more function groups: `/dapr/subscribe`, one POST route per topic handler,
 * `/job/<name>` (and the `/jobs/<name>` alias), health and metrics. Built from the generated
 * registry, so adding a handler file is all it takes to get a route.
 */
import { type Context, Hono } from "hono";
import type { Sql } from "postgres";
import type { DaprClient } from "../dapr/client.js";
import type { BaseContext, SetupContext, SubscriptionDefinition } from "../define.js";
import { parseJsonOr } from "../json.js";
import { type Logger, tracedLogger } from "../log.js";
import type { DeliveryOutcome, RuntimeMetrics } from "../metrics.js";
import { type RegisteredJob, type Registry, setupsOf } from "../registry.js";
import { programmaticSubscriptions } from "../subscriptions.js";
import { Span } from "../trace.js";
import { daprTokenGuard } from "./auth.js";
import { DEFAULT_MAX_REQUEST_BODY_BYTES, readCapped } from "./body-limit.js";
import {
  type BulkStatus,
  type DaprStatus,
  type DeliveryResult,
  deliverBulk,
  deliverOne,
  readBulkEntries,
} from "./delivery.js";
import { mountHealth, type ReadinessCheck } from "./health.js";
import { runJob } from "./job-run.js";
import type { Lifecycle } from "./lifecycle.js";
import { andThen, isThenable, type Settled } from "./settled.js";

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
  /** What the groups' setups get (their `routes` hook mounts user-facing routes with it). */
  setupContext?: SetupContext;
  /** Largest delivery or job body read (a bulk route: × its maxMessages); default daprd's 4 MiB. */
  maxRequestBodyBytes?: number;
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
    stopping: lifecycle.stopping,
    onEventsCommitted: options.onEventsCommitted ?? (() => {}),
  };
  const app = new Hono();

  mountHealth(app, lifecycle, metrics, options.readiness ?? []);
  const tools = served.flatMap((group) => group.tools);
  // User-facing, with its own bearer-token auth: not behind the dapr-api-token check.
  // The MCP SDK is the heaviest import (~0.3 s and ~25 MB at start): only a group serving tools loads it,
  // and the import starts now, alongside the rest of start-up; a request that comes first waits for it.
  if (tools.length > 0) {
    const setup = setupsOf(registry, groups).find((candidate) => candidate.mcp)?.mcp;
    if (!setup)
      throw new Error("these groups serve MCP tools but no <name>.setup.ts defines mcp (authentication)");
    const mcp = import("../mcp/http.js").then(({ mountMcp }) => {
      const mcpApp = new Hono();
      // An exception out of the MCP route (the database down while the token is checked, say) is one JSON
      // log line and a JSON-RPC error, never Hono's default: a plain-text stack on stderr and a bare 500.
      mcpApp.onError((error, c) => {
        tracedLogger(log, new Span(c.req.header("traceparent"))).error("mcp request failed", { error });
        return c.json(
          {
            jsonrpc: "2.0",
            id: null,
            error: {
              code: -32603,
              message:
                "taskbeat could not handle this request because of a problem on its side, not because of " +
                "the request. Try again in a moment.",
            },
          },
          500,
        );
      });
      mountMcp(mcpApp, {
        sql: options.sql,
        log,
        tools,
        setup,
        lifecycle,
        onToolCall: (tool, outcome, seconds) => metrics.recordToolCall(tool, outcome, seconds),
        ...(options.mcpAllowedHosts ? { allowedHosts: options.mcpAllowedHosts } : {}),
        ...(options.onEventsCommitted ? { onEventsCommitted: options.onEventsCommitted } : {}),
      });
      return mcpApp;
    });
    app.all("/mcp", async (c) => (await mcp).fetch(c.req.raw, c.env));
  }
  const { setupContext } = options;
  if (setupContext) for (const setup of setupsOf(registry, groups)) setup.routes?.(app, setupContext);
  // Every route daprd calls gets the token check; it is attached per route, so no route can miss it.
  const daprRoute = daprTokenGuard(options.appApiToken);
  const maxBody = options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;

  // Computed once: daprd asks for it once per sidecar start, but tests and operators ask too.
  const subscribePayload = groups.flatMap((group) => programmaticSubscriptions(group, registry));
  app.get(
    "/dapr/subscribe",
    daprRoute((c) => c.json(subscribePayload)),
  );

  for (const subscription of served.flatMap((g) => g.subscriptions)) {
    // Built once per route, not per delivery: a child logger, and the route's metric series.
    const routeMetrics = metrics.deliveryRoute(subscription.route);
    const route: TopicRoute = {
      unit: subscription.unit,
      base: { ...base, log: log.child({ route: subscription.route }) },
      record: (result, startedAt) =>
        routeMetrics.record(outcomeOf[result.status], (performance.now() - startedAt) / 1000),
    };
    // Over the cap: a message daprd would not have accepted, which can never succeed. DROP acks and
    // dead-letters a single one; a bulk request cannot be answered per entry unread, and 404 drops it whole.
    const cap = maxBody * (subscription.unit.bulk?.maxMessages ?? 1);
    const oversized = subscription.unit.bulk
      ? (c: Context) => c.json({ error: "request body too large" }, 404)
      : (c: Context) => c.json({ status: "DROP" });
    app.post(
      subscription.route,
      daprRoute(async (c) => {
        const text = await readCapped(c, cap, route.base.log);
        if (text === undefined) return oversized(c);
        // Not JSON → undefined, which the delivery then drops.
        const body = parseJsonOr(text, undefined);
        // While draining, daprd has stopped fetching and waits for what it already sent, so keep
        // handling; only past the grace period (signal aborted) hand messages back for redelivery.
        if (lifecycle.signal.aborted) return c.json(retryAll(body));
        // Counted in flight like `lifecycle.track`, without its promise: a delivery to synchronous
        // handlers settles at once, and is only awaited when it did not.
        lifecycle.begin();
        try {
          const answer = handleDelivery(route, body, c.req.header("traceparent"));
          return c.json(isThenable(answer) ? await answer : answer);
        } finally {
          lifecycle.end();
        }
      }),
    );
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
    // The run's span, a child of daprd's callback span: its logs and the events it writes are one trace.
    const span = new Span(c.req.header("traceparent"), c.req.header("tracestate"));
    return lifecycle.track(async () => {
      const startedAt = performance.now();
      const jobLog = tracedLogger(log, span).child({ job: name });
      const text = await readCapped(c, maxBody, jobLog);
      // A failure to daprd, so the job's bounded failure policy ends it; our own job data is never this big.
      if (text === undefined) return c.json({ error: "request body too large" }, 413);
      const result = await runJob(job, text, { ...base, log: jobLog, span }, c.req.header("traceparent"));
      metrics.recordJob(name, result.status === 200, (performance.now() - startedAt) / 1000);
      return result.status === 200 ? c.body(null, 204) : c.json({ error: result.error }, result.status);
    });
  };
  app.post("/job/:name", daprRoute(jobRoute));
  app.post("/jobs/:name", daprRoute(jobRoute));

  app.onError((error, c) => {
    // Only reached for bugs in the runtime itself; keep details in the log, not in the answer.
    log.error("unhandled error in router", { error, path: c.req.path });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/** What a topic route needs per delivery, resolved when the route is mounted. */
interface TopicRoute {
  unit: SubscriptionDefinition;
  /** Its `log` already carries the route. */
  base: BaseContext;
  /** Counts a settled delivery (one event, or one bulk entry) and its duration. */
  record(result: DeliveryResult, startedAt: number): void;
}

const outcomeOf: Record<DaprStatus, DeliveryOutcome> = { SUCCESS: "success", DROP: "drop", RETRY: "retry" };

/** The answer to daprd: `{status}` for one event, `{statuses}` for a bulk. Settles at once when it can. */
function handleDelivery(
  route: TopicRoute,
  body: unknown,
  traceparent: string | undefined,
): Settled<{ status: DaprStatus } | { statuses: BulkStatus[] }> {
  const entries = readBulkEntries(body);
  if (entries) {
    return andThen(deliverBulk(route.unit, entries, route.base, route.record), (statuses) => ({
      statuses,
    }));
  }
  const startedAt = performance.now();
  return andThen(deliverOne(route.unit, body, route.base, traceparent), (result) => {
    route.record(result, startedAt);
    return { status: result.status };
  });
}

/** RETRY for a single delivery, or for every entry of a bulk one (a missing entryId would mean the same). */
function retryAll(body: unknown) {
  const entries = readBulkEntries(body);
  return entries
    ? { statuses: entries.map(({ entryId }) => ({ entryId, status: "RETRY" as const })) }
    : { status: "RETRY" as const };
}

const knownGroups = (registry: Registry) => Object.keys(registry).join(", ") || "none";
