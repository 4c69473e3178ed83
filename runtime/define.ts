/**
 * The three kinds of unit. Each file in `functions/<group>/` default-exports one of these, and the
 * generated router (`runtime/generated/registry.gen.ts`) turns it into a Dapr endpoint or an MCP tool.
 * Handlers never see HTTP: they get validated data and a context, and signal outcomes by returning
 * (success) or throwing (`DropMessage`, `RetryLater`, anything else = retry).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Sql } from "postgres";
import type { EventEnvelope } from "./cloudevent.js";
import type { DaprClient } from "./dapr/client.js";
import type { Logger } from "./log.js";

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
  /** Equals the file name and `jobs/<name>.json`. */
  readonly name: string;
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
  /** The one-line text result that goes beside `structuredContent` (e.g. "Created task “Buy milk”."). */
  summarize(output: StandardSchemaV1.InferOutput<TOutput>): string;
}

export type Unit = SubscriptionDefinition | JobDefinition | ToolDefinition;

type SubscriptionInput<TSchema extends StandardSchemaV1> = Omit<
  SubscriptionDefinition<TSchema>,
  "kind" | "deadLetterTopic"
> & { deadLetterTopic?: string | false };

/**
 * A Dapr topic route.
 * @example
 * export default defineSubscription({
 *   pubsub: "pubsub", topic: "task-recurrence", schema: TaskCompletedSchema,
 *   async handle(task, ctx) { await createNextOccurrence(ctx.sql, task, ctx.event.id) },
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
 * export default defineJob({ name: "relay-outbox", async handle(_data, ctx) { await relay(ctx) } });
 */
export function defineJob<TSchema extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  definition: Omit<JobDefinition<TSchema>, "kind">,
): JobDefinition<TSchema> {
  return { ...definition, kind: "job" };
}

/**
 * An MCP tool.
 * @example
 * export default defineTool({
 *   name: "get_task", description: "Fetch one task by id.", input: v.object({ id: v.string() }),
 *   handle: ({ id }, ctx) => getTask(ctx, id),
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

export function isUnit(value: unknown): value is Unit {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === "subscription" || kind === "job" || kind === "tool";
}
