/**
 * Turns one CloudEvent delivery into the status daprd needs (contract §3.4, §4). The rules:
 * a message we can never handle (not a CloudEvent, unknown type, data failing the schema, or the
 * handler throwing DropMessage) is DROP, so Dapr acknowledges and dead-letters it instead of
 * retrying it forever; anything thrown otherwise is RETRY, never SUCCESS, so nothing is lost.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { type EventEnvelope, readEnvelope } from "../cloudevent.js";
import type { BaseContext, SubscriptionContext, SubscriptionDefinition } from "../define.js";
import { issueLines } from "../issues.js";
import { type LogFields, type Logger, tracedLogger } from "../log.js";
import { DropMessage } from "../outcomes.js";
import { Span, traceFields } from "../trace.js";
import { bounded } from "./body-limit.js";
import { isThenable, type Settled } from "./settled.js";

export type DaprStatus = "SUCCESS" | "RETRY" | "DROP";

export interface DeliveryResult {
  status: DaprStatus;
  eventId?: string;
}

/** One delivery, as a promise; for callers outside the router (tests, fixtures). */
export async function deliverEvent(
  unit: SubscriptionDefinition,
  body: unknown,
  base: BaseContext,
  traceparent: string | undefined,
): Promise<DeliveryResult> {
  return deliverOne(unit, body, base, traceparent);
}

/**
 * One delivery. It settles at once when the schema and the handler are synchronous, so a bulk of such
 * entries costs no promise per entry; otherwise it is a promise.
 */
export function deliverOne(
  unit: SubscriptionDefinition,
  body: unknown,
  base: BaseContext,
  traceparent: string | undefined,
): Settled<DeliveryResult> {
  const read = readEnvelope(body);
  if (!read.ok) return drop(tracedLogger(base.log, new Span(traceparent)), read.reason);
  const { envelope, data } = read;
  // The callback span daprd sends in the header wins over the publisher's (contract §3.1). The
  // envelope is a fresh object, so it is set in place rather than copied.
  if (traceparent !== undefined) envelope.traceparent = traceparent;
  // The handler's span: its logs and the outbox events it writes belong to the event's trace.
  const span = new Span(envelope.traceparent, envelope.tracestate);
  const log: Logger = new LazyChildLogger(base.log, span, envelope);
  if (unit.types && !unit.types.includes(envelope.type)) {
    return drop(log, `unexpected CloudEvent type "${envelope.type}"`, envelope.id);
  }
  const validated = validateNow(unit.schema, data);
  return isThenable(validated)
    ? validated.then((result) => runHandler(unit, result, base, log, envelope, data, span))
    : runHandler(unit, validated, base, log, envelope, data, span);
}

// Top-level functions rather than closures per event: under tsx every named closure is also given its
// name with Object.defineProperty each time it is created, which showed in a bulk delivery's profile.

function runHandler(
  unit: SubscriptionDefinition,
  validated: StandardSchemaV1.Result<unknown>,
  base: BaseContext,
  log: Logger,
  event: EventEnvelope,
  data: unknown,
  span: Span,
): Settled<DeliveryResult> {
  if (validated.issues) {
    return drop(log, "data does not match the schema", event.id, {
      issues: describeIssues(validated.issues),
      ...dataSummary(data),
    });
  }
  const ctx = subscriptionContext(base, log, event, span);
  let returned: unknown;
  try {
    returned = unit.handle(validated.value, ctx);
  } catch (error) {
    return handlerFailed(error, log, event.id);
  }
  const succeeded: DeliveryResult = { status: "SUCCESS", eventId: event.id };
  return isThenable(returned)
    ? Promise.resolve(returned).then(
        () => succeeded,
        (error: unknown) => handlerFailed(error, log, event.id),
      )
    : succeeded;
}

/**
 * The handler's context, spelled out rather than `{ ...base, log, event }`: V8 (Node 20) takes a slow path
 * for a spread followed by a new property, ~1.5 µs per event, more than the rest of a no-op delivery.
 * `satisfies` keeps it complete: a field added to BaseContext fails to compile here until it is copied.
 */
function subscriptionContext(
  base: BaseContext,
  log: Logger,
  event: EventEnvelope,
  span: Span,
): SubscriptionContext {
  return {
    sql: base.sql,
    dapr: base.dapr,
    log,
    signal: base.signal,
    stopping: base.stopping,
    onEventsCommitted: base.onEventsCommitted,
    span,
    event,
  } satisfies Record<keyof SubscriptionContext, unknown>;
}

function handlerFailed(error: unknown, log: Logger, eventId: string): DeliveryResult {
  if (error instanceof DropMessage) return drop(log, error.message, eventId, error.details);
  log.warn("handler failed; Dapr will redeliver", { error });
  return { status: "RETRY", eventId };
}

/**
 * The event's logger (its span's trace ids, its id and type), made on first use. Most deliveries log
 * nothing, and building a child logger (and the span's ids) per event was the largest share of a no-op
 * delivery's CPU (bench/, BENCHMARKS.md); a class keeps the per-event cost to one small object.
 */
class LazyChildLogger implements Logger {
  #parent: Logger;
  #span: Span;
  #event: EventEnvelope;
  #log: Logger | undefined;

  constructor(parent: Logger, span: Span, event: EventEnvelope) {
    this.#parent = parent;
    this.#span = span;
    this.#event = event;
  }

  #inner(): Logger {
    this.#log ??= this.#parent.child({
      ...traceFields(this.#span),
      eventId: this.#event.id,
      eventType: this.#event.type,
    });
    return this.#log;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#inner().debug(msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#inner().info(msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#inner().warn(msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#inner().error(msg, fields);
  }
  child(fields: LogFields): Logger {
    return this.#inner().child(fields);
  }
}

function drop(log: Logger, reason: string, eventId?: string, details?: unknown): DeliveryResult {
  log.warn("dropping message; Dapr sends it to the dead-letter topic", {
    reason: bounded(reason),
    details: boundedDetails(details),
  });
  return eventId === undefined ? { status: "DROP" } : { status: "DROP", eventId };
}

/** Most schema issues a drop logs; a value failing everywhere lists its first few. */
const MAX_LOGGED_ISSUES = 10;

/** The data's size (as JSON) and first characters: enough to find the publisher, bounded however big it is. */
function dataSummary(data: unknown): { dataBytes: number; dataExcerpt: string } {
  let json: string;
  try {
    json = JSON.stringify(data) ?? "undefined";
  } catch {
    json = String(data);
  }
  return { dataBytes: Buffer.byteLength(json), dataExcerpt: bounded(json, 200) };
}

/**
 * What a drop logs beside its reason, with every string cut to a few hundred characters and lists to a
 * few entries: validator messages and DropMessage details may hold the received value, megabytes of it.
 */
function boundedDetails(details: unknown, depth = 0): unknown {
  if (typeof details === "string") return bounded(details);
  if (typeof details !== "object" || details === null) return details;
  if (depth >= 3) return bounded(String(JSON.stringify(details)));
  if (Array.isArray(details)) {
    const kept = details.slice(0, MAX_LOGGED_ISSUES).map((item) => boundedDetails(item, depth + 1));
    return details.length > MAX_LOGGED_ISSUES
      ? [...kept, `… and ${details.length - MAX_LOGGED_ISSUES} more`]
      : kept;
  }
  const entries = Object.entries(details).slice(0, 20);
  return Object.fromEntries(entries.map(([key, value]) => [key, boundedDetails(value, depth + 1)]));
}

/**
 * Runs a Standard Schema validator. A validator that throws (a transform on unexpected input) is a
 * failed validation too: the same data would throw on every redelivery.
 */
export async function validate<T>(
  schema: StandardSchemaV1<unknown, T>,
  data: unknown,
): Promise<StandardSchemaV1.Result<T>> {
  return validateNow(schema, data);
}

/** `validate`, settled at once when the validator is synchronous (valibot's are, unless a pipe is async). */
function validateNow<T>(
  schema: StandardSchemaV1<unknown, T>,
  data: unknown,
): Settled<StandardSchemaV1.Result<T>> {
  let result: Settled<StandardSchemaV1.Result<T>>;
  try {
    result = schema["~standard"].validate(data);
  } catch (error) {
    return schemaThrew(error);
  }
  return isThenable(result) ? Promise.resolve(result).catch(schemaThrew) : result;
}

const schemaThrew = (error: unknown): StandardSchemaV1.FailureResult => ({
  issues: [{ message: `the schema threw: ${error instanceof Error ? error.message : String(error)}` }],
});

/**
 * Issues as `path: message` lines, for the log: precise enough to fix the publisher. Validator
 * messages may quote the received value, so they go to the log only, never into an answer, and bounded
 * (megabytes of quoted value would make one log line per value).
 */
export const describeIssues = (issues: ReadonlyArray<StandardSchemaV1.Issue>): string[] =>
  issueLines(issues, MAX_LOGGED_ISSUES, bounded);

/** An entry of a bulk delivery (contract §4), as daprd sent it; only what we read is typed. */
export interface BulkEntry {
  entryId: string;
  /** A CloudEvent object; a base64 string for rawPayload subscriptions. */
  event: unknown;
  /** The message's broker metadata: over Kafka `__key`, `__offset`, … and the publish metadata. */
  metadata?: Record<string, string>;
}

export interface BulkStatus {
  entryId: string;
  status: DaprStatus;
}

/** Reads a bulk delivery body; undefined when it is not one (then it is a single delivery). */
export function readBulkEntries(body: unknown): BulkEntry[] | undefined {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { entries?: unknown }).entries)) {
    return undefined;
  }
  // daprd's entry objects are used as they are: copying ten of them per request is work for nothing.
  return (body as { entries: unknown[] }).entries.filter(
    // An entry without an id cannot be answered for; daprd always sets one, so skip rather than fail all.
    (raw): raw is BulkEntry =>
      typeof raw === "object" && raw !== null && typeof (raw as { entryId?: unknown }).entryId === "string",
  );
}

/** Called once per settled entry, e.g. to count it; `startedAt` is its `performance.now()` at start. */
export type OnEntry = (result: DeliveryResult, startedAt: number) => void;

/**
 * Entries with the same partition key are handled in order: the next starts only once the previous one
 * settled (Kafka orders the messages of one key, and handlers may rely on per-task ordering). Entries
 * with different keys run concurrently, so a bulk of unrelated messages keeps a handler's batching fed;
 * entries without a key form one ordered chain. Every entryId gets a status, in entry order, because a
 * missing one means RETRY to daprd. Settles at once, without reading any key, when every entry did.
 */
export function deliverBulk(
  unit: SubscriptionDefinition,
  entries: readonly BulkEntry[],
  base: BaseContext,
  onEntry?: OnEntry,
): Settled<BulkStatus[]> {
  const statuses: BulkStatus[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as BulkEntry;
    const startedAt = performance.now();
    const result = deliverEntry(unit, entry, base);
    if (isThenable(result)) {
      return deliverRestByKey(i, result, startedAt, statuses, unit, entries, base, onEntry);
    }
    onEntry?.(result, startedAt);
    statuses.push({ entryId: entry.entryId, status: result.status });
  }
  return statuses;
}

/**
 * One entry of a bulk, in its own event's trace: the request's `traceparent` header is one span for the
 * whole batch, whose entries come from as many traces (the reminders of different claims, say), so the
 * entry's own envelope `traceparent` is the parent of its handler's span.
 */
function deliverEntry(
  unit: SubscriptionDefinition,
  entry: BulkEntry,
  base: BaseContext,
): Settled<DeliveryResult> {
  // rawPayload entries carry a base64 string instead of a CloudEvent; we cannot de-duplicate those.
  return typeof entry.event === "string"
    ? drop(base.log, `bulk entry ${entry.entryId} is not a CloudEvent (rawPayload is not supported)`)
    : deliverOne(unit, entry.event, base, undefined);
}

/**
 * The entries from `first` on, once entry `first` turned out asynchronous (those before it have settled):
 * each starts as soon as the previous entry with its key has settled.
 */
async function deliverRestByKey(
  first: number,
  pending: PromiseLike<DeliveryResult>,
  startedAt: number,
  statuses: BulkStatus[],
  unit: SubscriptionDefinition,
  entries: readonly BulkEntry[],
  base: BaseContext,
  onEntry: OnEntry | undefined,
): Promise<BulkStatus[]> {
  const record = (i: number, result: DeliveryResult, at: number): void => {
    onEntry?.(result, at);
    statuses[i] = { entryId: (entries[i] as BulkEntry).entryId, status: result.status };
  };
  // Never throws: a failure (from onEntry) becomes a rejection, awaited with the others below.
  const start = (i: number): Settled<void> => {
    try {
      const at = performance.now();
      const result = deliverEntry(unit, entries[i] as BulkEntry, base);
      return isThenable(result)
        ? Promise.resolve(result).then((later) => record(i, later, at))
        : record(i, result, at);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const firstSettled = Promise.resolve(pending).then((result) => record(first, result, startedAt));
  const running = [firstSettled];
  // Per key, the settling of its last entry so far; none for a key whose entries all settled at once.
  const lastOfKey = new Map<string | undefined, Promise<void>>([
    [partitionKey(entries[first] as BulkEntry), firstSettled],
  ]);
  for (let i = first + 1; i < entries.length; i++) {
    const key = partitionKey(entries[i] as BulkEntry);
    const previous = lastOfKey.get(key);
    const settled = previous === undefined ? start(i) : previous.then(() => start(i));
    if (isThenable(settled)) {
      lastOfKey.set(key, settled);
      running.push(settled);
    }
  }
  // Every entry settles before the answer, also when one failed: no handler outlives its request.
  const outcomes = await Promise.allSettled(running);
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return statuses;
}

/** The Kafka record key daprd reports (`__key`), else the publisher's `partitionKey` (other brokers). */
function partitionKey(entry: BulkEntry): string | undefined {
  const metadata = entry.metadata;
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const key = metadata.__key ?? metadata.partitionKey;
  return typeof key === "string" ? key : undefined;
}
