/**
 * Publish (contract §1.1) and bulk publish (§1.2). We always send structured
 * `application/cloudevents+json`: daprd then passes the envelope through and keeps our `id`, which is
 * the consumers' de-duplication key. Any other content type makes daprd wrap the body in a new
 * envelope with a fresh UUID, and re-publishing an outbox row would no longer be recognisable.
 */
import { CLOUDEVENT_CONTENT_TYPE, type CloudEvent } from "../cloudevent.js";
import { parseJsonOr } from "../json.js";
import { acceptAll, type DaprHttp, JSON_CONTENT_TYPE, metadataQuery, segment } from "./http.js";

export interface PublishOptions {
  /** Kafka record key (`?metadata.partitionKey=`): events of one task stay ordered on one partition. */
  partitionKey?: string;
  /** Further publish metadata, sent as `?metadata.<k>=<v>` (headers are never read as metadata, §9(g)). */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

export interface BulkPublishEntry {
  event: CloudEvent;
  partitionKey?: string;
  /** Unique within the request; defaults to the event id. */
  entryId?: string;
}

export interface BulkPublishOptions {
  /** Applies to every entry (and to the request, e.g. `rawPayload`). */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

export interface BulkPublishResult {
  failed: Array<{ entryId: string; error: string }>;
}

export async function publish(
  http: DaprHttp,
  pubsub: string,
  topic: string,
  event: CloudEvent,
  options?: PublishOptions,
): Promise<void> {
  let path = `/v1.0/publish/${segment(pubsub)}/${segment(topic)}`;
  if (options !== undefined) {
    // partitionKey goes first: daprd keeps the first value of a repeated key, so it wins over metadata.
    let query =
      options.partitionKey === undefined ? "" : `?metadata.partitionKey=${segment(options.partitionKey)}`;
    query += metadataQuery(options.metadata, query === "" ? "?" : "&");
    path += query;
  }
  await http.send("publish", "POST", path, {
    body: JSON.stringify(event),
    headers: withTrace(http.headers(CLOUDEVENT_CONTENT_TYPE), event.traceparent),
    signal: options?.signal,
  });
}

/**
 * Bulk publish. daprd merges the query's `metadata.*` into an entry only when that entry has its own
 * `metadata` object (§1.2), so request-level metadata is copied into every entry as well as sent on
 * the query (where request-level keys such as `rawPayload` are read); the entry's partitionKey wins.
 * A partial failure is returned, not thrown: the caller re-publishes just those entries.
 */
const OPERATION = "publishBulk";

export async function publishBulk(
  http: DaprHttp,
  pubsub: string,
  topic: string,
  events: BulkPublishEntry[],
  options?: BulkPublishOptions,
): Promise<BulkPublishResult> {
  if (events.length === 0) return { failed: [] };
  const shared = options?.metadata;
  const entries = events.map(({ event, partitionKey, entryId }) => {
    let metadata: Record<string, string> | undefined;
    if (shared !== undefined || partitionKey !== undefined) {
      metadata = partitionKey === undefined ? { ...shared } : { ...shared, partitionKey };
    }
    return {
      entryId: entryId ?? event.id,
      event,
      contentType: CLOUDEVENT_CONTENT_TYPE,
      ...(metadata === undefined ? {} : { metadata }),
    };
  });
  // The stable path (daprd serves it beside `/v1.0-alpha1/publish/bulk`, §1.2).
  const path = `/v1.0/publish/bulk/${segment(pubsub)}/${segment(topic)}${metadataQuery(shared)}`;
  const response = await http.send(OPERATION, "POST", path, {
    body: JSON.stringify(entries),
    headers: withTrace(http.headers(JSON_CONTENT_TYPE), sharedTraceparent(events)),
    signal: options?.signal,
    // Broker failures come back (500) with failedEntries; look at every error body for them first.
    accept: acceptAll,
  });
  if (response.status < 300) return { failed: [] };

  const failed = failedEntries(response.text);
  if (failed !== undefined && failed.length > 0) return { failed };
  // No entries listed: a whole-request failure (404 unknown pubsub, 403, 401…), raised like any other.
  throw http.error(OPERATION, "POST", path, response);
}

function failedEntries(text: string): BulkPublishResult["failed"] | undefined {
  const body = parseJsonOr(text, undefined);
  const list = (body as { failedEntries?: unknown } | null)?.failedEntries;
  if (!Array.isArray(list)) return undefined;
  return list.map((entry: { entryId?: unknown; error?: unknown }) => ({
    entryId: String(entry?.entryId ?? ""),
    error: typeof entry?.error === "string" ? entry.error : "publish failed",
  }));
}

/**
 * The event's span as the request's `traceparent` header too, so daprd's publish span joins the trace
 * (the envelope's own `traceparent`/`traceid` are passed through as they are, §1.1). The cached header
 * object is copied only when there is one to add.
 */
function withTrace(headers: Record<string, string>, traceparent: string | undefined): Record<string, string> {
  return traceparent === undefined ? headers : { ...headers, traceparent };
}

/** A bulk request has one header: it carries the entries' span only when they all share one. */
function sharedTraceparent(entries: BulkPublishEntry[]): string | undefined {
  const first = entries[0]?.event.traceparent;
  return first !== undefined && entries.every((entry) => entry.event.traceparent === first)
    ? first
    : undefined;
}
