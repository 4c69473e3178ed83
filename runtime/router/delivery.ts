/**
 * Turns one CloudEvent delivery into the status daprd needs (contract §3.4, §4). The rules:
 * a message we can never handle (not a CloudEvent, unknown type, data failing the schema, or the
 * handler throwing DropMessage) is DROP, so Dapr acknowledges and dead-letters it instead of
 * retrying it forever; anything thrown otherwise is RETRY, never SUCCESS, so nothing is lost.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { readEnvelope } from "../cloudevent.js";
import type { BaseContext, SubscriptionDefinition } from "../define.js";
import type { LogFields, Logger } from "../log.js";
import { DropMessage } from "../outcomes.js";

export type DaprStatus = "SUCCESS" | "RETRY" | "DROP";

export interface DeliveryResult {
  status: DaprStatus;
  eventId?: string;
}

export async function deliverEvent(
  unit: SubscriptionDefinition,
  body: unknown,
  base: BaseContext,
  traceparent: string | undefined,
): Promise<DeliveryResult> {
  const read = readEnvelope(body);
  if (!read.ok) return drop(base, read.reason);
  const { envelope, data } = read;
  const log: Logger = new LazyChildLogger(base.log, { eventId: envelope.id, eventType: envelope.type });
  if (unit.types && !unit.types.includes(envelope.type)) {
    return drop({ ...base, log }, `unexpected CloudEvent type "${envelope.type}"`, envelope.id);
  }
  const validated = await validate(unit.schema, data);
  if (validated.issues) {
    return drop(
      { ...base, log },
      "data does not match the schema",
      envelope.id,
      describeIssues(validated.issues),
    );
  }
  const event = traceparent === undefined ? envelope : { ...envelope, traceparent };
  try {
    await unit.handle(validated.value, { ...base, log, event });
    return { status: "SUCCESS", eventId: envelope.id };
  } catch (error) {
    if (error instanceof DropMessage) {
      return drop({ ...base, log }, error.message, envelope.id, error.details);
    }
    log.warn("handler failed; Dapr will redeliver", { error });
    return { status: "RETRY", eventId: envelope.id };
  }
}

/**
 * `parent.child(fields)`, made on first use. Most deliveries log nothing, and building a child logger per
 * event was the largest share of a no-op delivery's CPU (bench/, BENCHMARKS.md); a class keeps the
 * per-event cost to one small object.
 */
class LazyChildLogger implements Logger {
  #parent: Logger;
  #fields: LogFields;
  #log: Logger | undefined;

  constructor(parent: Logger, fields: LogFields) {
    this.#parent = parent;
    this.#fields = fields;
  }

  #inner(): Logger {
    this.#log ??= this.#parent.child(this.#fields);
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

function drop(base: BaseContext, reason: string, eventId?: string, details?: unknown): DeliveryResult {
  base.log.warn("dropping message; Dapr sends it to the dead-letter topic", { reason, details });
  return eventId === undefined ? { status: "DROP" } : { status: "DROP", eventId };
}

/**
 * Runs a Standard Schema validator. A validator that throws (a transform on unexpected input) is a
 * failed validation too: the same data would throw on every redelivery.
 */
export async function validate<T>(
  schema: StandardSchemaV1<unknown, T>,
  data: unknown,
): Promise<StandardSchemaV1.Result<T>> {
  try {
    return await schema["~standard"].validate(data);
  } catch (error) {
    return {
      issues: [{ message: `the schema threw: ${error instanceof Error ? error.message : String(error)}` }],
    };
  }
}

/**
 * Issues as `path: message` lines, for the log: precise enough to fix the publisher. Validator
 * messages may quote the received value, so they go to the log only, never into an answer.
 */
export function describeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string[] {
  return issues.map((issue) => {
    const path = pathOf(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

const pathOf = (issue: StandardSchemaV1.Issue) =>
  (issue.path ?? [])
    .map((segment) => (typeof segment === "object" ? String(segment.key) : String(segment)))
    .join(".");

interface BulkEntry {
  entryId: string;
  event: unknown;
  contentType?: string;
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
  const entries: BulkEntry[] = [];
  for (const raw of (body as { entries: unknown[] }).entries) {
    // An entry without an id cannot be answered for; daprd always sets one, so skip rather than fail all.
    if (typeof raw !== "object" || raw === null) continue;
    const { entryId, event, contentType } = raw as Record<string, unknown>;
    if (typeof entryId !== "string") continue;
    entries.push({ entryId, event, ...(typeof contentType === "string" ? { contentType } : {}) });
  }
  return entries;
}

/**
 * Each entry is handled on its own, in order (entries of one batch share a partition, and
 * handlers may rely on per-task ordering); every entryId gets a status, because a missing one
 * means RETRY to daprd.
 */
export async function deliverBulk(
  unit: SubscriptionDefinition,
  entries: BulkEntry[],
  base: BaseContext,
  traceparent: string | undefined,
  onEntry?: (result: DeliveryResult, startedAt: number) => void,
): Promise<BulkStatus[]> {
  const statuses: BulkStatus[] = [];
  for (const entry of entries) {
    const startedAt = performance.now();
    // rawPayload entries carry a base64 string instead of a CloudEvent; we cannot de-duplicate those.
    const result =
      typeof entry.event === "string"
        ? drop(base, `bulk entry ${entry.entryId} is not a CloudEvent (rawPayload is not supported)`)
        : await deliverEvent(unit, entry.event, base, traceparent);
    onEntry?.(result, startedAt);
    statuses.push({ entryId: entry.entryId, status: result.status });
  }
  return statuses;
}

/** Where the data failed, without what it held: safe to put in an answer. */
export function issuePaths(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  const paths = issues.map((issue) => pathOf(issue) || "(root)");
  return [...new Set(paths)].join(", ");
}
