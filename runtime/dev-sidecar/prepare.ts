/**
 * What daprd does with a broker message before calling the app (contract §3.1–§3.3): decode it, drop
 * it when expired, pick the route, and build the body and headers. Shared by the single and bulk consumers.
 */

import { parseJsonOr } from "../json.js";
import type { Logger } from "../log.js";
import type { BrokerMessage } from "./broker.js";
import { CLOUDEVENTS_JSON, hasExpired, rawPayloadEnvelope } from "./envelope.js";
import { isPlainObject, marshalLikeGo } from "./json.js";
import { recordKey } from "./partitions.js";
import { chooseRoute, type DiscoveredSubscription, rawPayloadMode } from "./subscriptions.js";
import { childSpan, formatTraceparent, parseTraceparent } from "./trace.js";

export type Prepared =
  | {
      kind: "deliver";
      path: string;
      /** Single delivery body: the exact broker bytes, or the §3.2 wrapper for rawPayload subscriptions. */
      body: Buffer;
      /** Bulk entry `event`: the CloudEvent object, or the base64 of the raw bytes. */
      event: unknown;
      /** Bulk entry `contentType`. */
      contentType: string;
      traceparent: string;
    }
  | { kind: "drop" | "retry"; reason: string };

export function prepare(
  sub: DiscoveredSubscription,
  message: BrokerMessage,
  log: Logger,
  now = new Date(),
): Prepared {
  const raw = rawPayloadMode(sub);
  if (raw === "invalid")
    return { kind: "retry", reason: "subscription metadata rawPayload is not a boolean" };
  let event: Record<string, unknown>;
  if (raw) {
    event = rawPayloadEnvelope(message.body, message.pubsub, message.topic);
  } else {
    const parsed = parseJsonOr(message.body.toString("utf8"), undefined);
    if (!isPlainObject(parsed)) return { kind: "retry", reason: "message is not a JSON object" };
    event = parsed;
    if (hasExpired(event, now)) return { kind: "drop", reason: "message expired" };
  }
  const path = chooseRoute(sub, event, log);
  if (path === undefined) return { kind: "drop", reason: "no route matches the event" };
  const parent = parseTraceparent(stringOrUndefined(event.traceparent) ?? stringOrUndefined(event.traceid));
  return {
    kind: "deliver",
    path,
    body: raw ? Buffer.from(marshalLikeGo(event)) : message.body,
    event: raw ? message.body.toString("base64") : event,
    contentType: raw ? (message.contentType ?? "application/octet-stream") : CLOUDEVENTS_JSON,
    traceparent: formatTraceparent(childSpan(parent)),
  };
}

/**
 * Broker metadata of a message, sent as HTTP headers on single deliveries and as entry metadata in bulk.
 * Like daprd over Kafka: `pubsubName`, every publish metadata key (Kafka record headers), and `__key`,
 * `__topic`, `__partition`, `__offset` (within that partition), `__timestamp`.
 */
export function brokerMetadata(message: BrokerMessage): Record<string, string> {
  const md: Record<string, string> = { ...message.metadata };
  const key = recordKey(message.metadata);
  if (key !== undefined) md.__key = key;
  md.__topic = message.topic;
  md.__partition = String(message.partition);
  md.__offset = String(message.offset);
  md.__timestamp = String(message.timestamp);
  md.pubsubName = message.pubsub;
  return md;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SKIPPED = new Set([
  "content-type",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "host",
]);

/** Metadata that can travel as headers: valid names and values, minus the hop-by-hop ones daprd skips. */
export function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (TOKEN.test(k) && !SKIPPED.has(k.toLowerCase()) && /^[\t\x20-\x7e]*$/.test(v))
      headers[k.toLowerCase()] = v;
  }
  return headers;
}

function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
