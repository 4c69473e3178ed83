/**
 * The three kinds of unit. Each file in `functions/<group>/` default-exports one of these, and the
 * generated router (`runtime/generated/registry.gen.ts`) turns it into a Dapr endpoint or an MCP tool.
 * Handlers never see HTTP: they get validated data and a context, and signal outcomes by returning
 * (success) or throwing (`DropMessage`, `RetryLater`, anything else = retry).
 */

import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Hono } from "hono";
import type { Sql } from "postgres";
import type { Command } from "./cli/command.js";
import type { EventEnvelope } from "./cloudevent.js";
import type { Config } from "./config.js";
import type { DaprClient } from "./dapr/client.js";
import type { Logger } from "./log.js";
import type { McpRequestExtra } from "./mcp/server.js";
import type { ReadinessCheck } from "./router/health.js";
import type { Span } from "./trace.js";

/** What every handler gets besides its data. */
export interface BaseContext {
  /** The shared PostgreSQL client (postgres.js); use tagged templates and `sql.begin` for transactions. */
  sql: Sql;
  /** The sidecar's HTTP API. */
  dapr: DaprClient;
  log: Logger;
  /** Aborted when the process is shutting down past its grace period. */
  signal: AbortSignal;
  /** Aborted as soon as shutdown begins: stop timers and background work a handler started. */
  stopping: AbortSignal;
  /** Tell the outbox relay that a transaction committed events, so they go out now, not at its next tick. */
  onEventsCommitted: () => void;
  /**
   * The request's span (runtime/trace.ts): pass it to what writes outbox events (`enqueueEvents`), so
   * they continue this trace. `log` already carries it. Undefined outside a request.
   */
  span?: Span;
}

export interface SubscriptionContext extends BaseContext {
  /** The delivered CloudEvent's attributes; `event.id` is the de-duplication key. */
  event: EventEnvelope;
}

export interface JobContext extends BaseContext {
  job: { name: string; traceparent?: string };
}

type Awaitable<T> = T | Promise<T>;

export interface BulkOptions {
  /** Most messages daprd buffers into one request. */
  maxMessages: number;
  /** Longest daprd waits to fill a batch. */
  maxAwaitMs: number;
}

export interface SubscriptionDefinition<TSchema extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: "subscription";
  /** Dapr pub/sub component name. */
  readonly pubsub: string;
  readonly topic: string;
  /** Validates the CloudEvent `data`; a failure drops the message (it is dead-lettered, never retried). */
  readonly schema: TSchema;
  /** CloudEvent types this handler accepts; any other type is dropped. Omit to accept every type. */
  readonly types?: readonly string[];
  /** Where Dapr sends dropped and exhausted messages. Defaults to `<topic>-dlq`; `false` disables it. */
  readonly deadLetterTopic: string | false;
  /** Set to receive messages in batches (Dapr bulk subscribe); each entry is still handled on its own. */
  readonly bulk?: BulkOptions;
  handle(data: StandardSchemaV1.InferOutput<TSchema>, ctx: SubscriptionContext): Awaitable<void>;
}

export interface JobDefinition<TSchema extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: "job";
  /** The job's name is its file's (`<name>.job.ts`, scheduled by `jobs/<name>.json`); if given, it must match. */
  readonly name?: string;
  /** Validates the job's `data`; omit for jobs that take none. */
  readonly schema?: TSchema;
  handle(data: StandardSchemaV1.InferOutput<TSchema>, ctx: JobContext): Awaitable<void>;
}

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolDefinition<
  TInput extends StandardSchemaV1 = StandardSchemaV1,
  TOutput extends StandardSchemaV1 = StandardSchemaV1,
  TContext = unknown,
> {
  readonly kind: "tool";
  /** snake_case, equals the file name. */
  readonly name: string;
  /** Written for a model: what it does, when to use it, what it returns. */
  readonly description: string;
  /** Every field carries a `v.description(...)`; the MCP layer derives JSON Schema from it. */
  readonly input: TInput;
  /** The shape of `structuredContent`; advertised as the tool's `outputSchema`. */
  readonly output: TOutput;
  readonly annotations: ToolAnnotations;
  handle(
    input: StandardSchemaV1.InferOutput<TInput>,
    ctx: TContext,
  ): Awaitable<StandardSchemaV1.InferOutput<TOutput>>;
  /**
   * The one-line summary that opens the text result (e.g. "Created task “Buy milk”."); the MCP layer
   * follows it with `structuredContent` as JSON, so the line is for people and need not repeat ids.
   */
  summarize(output: StandardSchemaV1.InferOutput<TOutput>): string;
}

/** What a tool's context is built from, before the application adds who is calling. */
export interface ToolBaseContext {
  sql: Sql;
  /** Carries the call's trace_id and span_id. */
  log: Logger;
  /** The call's span, a child of the MCP client's `traceparent` (none under stdio). */
  span?: Span;
  /** Called after a transaction that wrote outbox rows commits (kicks the relay). */
  onEventsCommitted?: () => void;
}

/**
 * How a group that serves MCP tools authenticates callers and builds its tools' context. The runtime owns
 * the transports (Streamable HTTP at `/mcp`, stdio under `taskbeat mcp`), the schemas and the error shape.
 */
export interface McpSetup<TPrincipal = unknown, TContext = unknown> {
  /** The server name clients show. */
  serverName: string;
  /** Sent to clients at initialize: how to use the tools. */
  instructions?: string;
  /** A bearer token (HTTP) or `TASKBEAT_TOKEN` (stdio) → who is calling; undefined when unknown or revoked. */
  authenticate(sql: Sql, token: string): Promise<TPrincipal | undefined>;
  /** The context every tool's `handle` receives for this caller. */
  context(base: ToolBaseContext, principal: TPrincipal): TContext;
  /** A short id of the caller for logs (never a secret). */
  describe(principal: TPrincipal): string;
  /** Registers resources and prompts on each server, beside the tools. */
  extend?(server: Server, contextOf: (extra: McpRequestExtra) => TContext): void;
  /** What to tell a caller whose token is missing or unknown: how to get one. */
  tokenHelp: { missing: string; invalid: string };
  /**
   * Extra auth-params for the 401's `WWW-Authenticate: Bearer …` challenge, e.g.
   * `{ resource_metadata: "https://host/.well-known/oauth-protected-resource/mcp" }` (RFC 9728 §5.1), so a
   * client can discover where to get a token. Asked on every 401.
   */
  challenge?(): Readonly<Record<string, string>>;
}

/** What a setup's hooks get: the process's configuration and shared clients. */
export interface SetupContext {
  config: Config;
  sql: Sql;
  dapr: DaprClient;
  log: Logger;
}

/**
 * A group's contribution to the process that serves it, beside its units: readiness checks, resources to
 * open before serving and close at shutdown, MCP authentication, CLI commands. `<name>.setup.ts`.
 */
export interface SetupDefinition {
  readonly kind: "setup";
  /** Extra `/readyz` checks. */
  readiness?(ctx: SetupContext): ReadinessCheck[];
  /** Runs before the group serves; what it returns is stopped after the last delivery has finished. */
  start?(ctx: SetupContext): Awaitable<{ stop(): Awaitable<void> } | undefined>;
  /**
   * Mounts user-facing HTTP routes on the group's app (a sign-in page, say): outside the dapr-api-token
   * check, so each route does its own authentication. Called once, before the app listens.
   */
  routes?(app: Hono, ctx: SetupContext): void;
  /** Lines `taskbeat start` prints about this group once everything is up (a local token, where mail goes). */
  banner?(ctx: SetupContext): Awaitable<string[]>;
  /** At most one setup in a project: the tools' authentication and context. */
  readonly mcp?: McpSetup;
  /** CLI commands this group adds (`taskbeat <name>`), each with a one-line summary for `taskbeat --help`. */
  readonly commands?: Readonly<Record<string, Command & { summary: string }>>;
}

export type Unit = SubscriptionDefinition | JobDefinition | ToolDefinition | SetupDefinition;

type SubscriptionInput<TSchema extends StandardSchemaV1> = Omit<
  SubscriptionDefinition<TSchema>,
  "kind" | "deadLetterTopic"
> & { deadLetterTopic?: string | false };

/**
 * A Dapr topic route.
 * @example
 * // functions/shop/order-placed.topic.ts
 * export default defineSubscription({
 *   pubsub: "pubsub", topic: "orders", schema: v.object({ orderId: v.string() }),
 *   async handle({ orderId }, ctx) {
 *     await ctx.sql`insert into shipments (order_id, event_id) values (${orderId}, ${ctx.event.id})`;
 *   },
 * });
 */
export function defineSubscription<TSchema extends StandardSchemaV1>(
  definition: SubscriptionInput<TSchema>,
): SubscriptionDefinition<TSchema> {
  return {
    ...definition,
    kind: "subscription",
    deadLetterTopic: definition.deadLetterTopic ?? `${definition.topic}-dlq`,
  };
}

/**
 * A Dapr job callback; its schedule lives in `jobs/<name>.json`.
 * @example
 * // functions/shop/nightly-report.job.ts, scheduled by jobs/nightly-report.json
 * export default defineJob({
 *   async handle(_data, ctx) { ctx.log.info("report", { orders: await countOrders(ctx.sql) }) },
 * });
 */
export function defineJob<TSchema extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  definition: Omit<JobDefinition<TSchema>, "kind">,
): JobDefinition<TSchema> {
  return { ...definition, kind: "job" };
}

/**
 * An MCP tool.
 * @example
 * // functions/shop/get_order.tool.ts
 * export default defineTool({
 *   name: "get_order",
 *   description: "Fetch one of the caller's orders by id. Fails with ORDER_NOT_FOUND.",
 *   input: v.object({ order_id: v.pipe(v.string(), v.description("The order's id.")) }),
 *   output: v.object({ order: OrderOutput }),
 *   annotations: { title: "Get order", readOnlyHint: true, openWorldHint: false },
 *   handle: async ({ order_id }, ctx: ShopContext) => ({ order: await findOrder(ctx, order_id) }),
 *   summarize: ({ order }) => `Order ${order.id}: ${order.status}.`,
 * });
 */
export function defineTool<
  TInput extends StandardSchemaV1,
  TOutput extends StandardSchemaV1 = StandardSchemaV1,
  TContext = unknown,
>(
  definition: Omit<ToolDefinition<TInput, TOutput, TContext>, "kind">,
): ToolDefinition<TInput, TOutput, TContext> {
  return { ...definition, kind: "tool" };
}

/**
 * `defineTool` with the application's tool context fixed once, so tool files need not annotate `ctx`:
 * `export const defineTool = toolsWithContext<ToolContext>();` in the application's shared code.
 */
export function toolsWithContext<TContext>() {
  return <TInput extends StandardSchemaV1, TOutput extends StandardSchemaV1 = StandardSchemaV1>(
    definition: Omit<ToolDefinition<TInput, TOutput, TContext>, "kind">,
  ): ToolDefinition<TInput, TOutput, TContext> => defineTool<TInput, TOutput, TContext>(definition);
}

/** Types an MCP setup's principal and context together. */
export function defineMcp<TPrincipal, TContext>(
  setup: McpSetup<TPrincipal, TContext>,
): McpSetup<TPrincipal, TContext> {
  return setup;
}

/**
 * A group's setup (readiness checks, start/stop hooks, MCP authentication, CLI commands).
 * @example
 * // functions/shop/warehouse.setup.ts
 * export default defineSetup({
 *   readiness: () => [{ name: "warehouse", check: (signal) => warehouse.ping(signal) }],
 *   start: async () => { await warehouse.connect(); return { stop: () => warehouse.close() } },
 * });
 */
export function defineSetup(definition: Omit<SetupDefinition, "kind">): SetupDefinition {
  return { ...definition, kind: "setup" };
}

export function isUnit(value: unknown): value is Unit {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === "subscription" || kind === "job" || kind === "tool" || kind === "setup";
}
