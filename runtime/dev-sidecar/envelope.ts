/**
 * What daprd turns a publish body into (contract §1.1 "Envelope construction"). The result is the byte
 * string the broker stores and every subscriber receives unchanged, so this file decides what handlers see.
 */
import { randomUUID } from "node:crypto";
import { parseJsonOr } from "../json.js";
import { formatRfc3339, parseGoDuration } from "../schedule/duration.js";
import { ApiError, mediaType } from "./http.js";
import { isPlainObject, marshalLikeGo } from "./json.js";

export const CLOUDEVENTS_JSON = "application/cloudevents+json";

export interface EnvelopeInput {
  pubsub: string;
  topic: string;
  body: Buffer;
  /** The publish request's Content-Type (bulk: the entry's `contentType`). */
  contentType: string | undefined;
  metadata: Record<string, string>;
  /** W3C traceparent/tracestate of the publish span. */
  traceparent: string;
  tracestate: string;
  appId: string;
  now: Date;
}

/** The envelope bytes for a publish that is not `rawPayload`. Throws ApiError 500 for a non-JSON CloudEvent. */
export function buildEnvelope(input: EnvelopeInput): Buffer {
  const envelope =
    mediaType(input.contentType) === CLOUDEVENTS_JSON ? passThrough(input) : newEnvelope(input);
  const ttlMs = ttlFromMetadata(input.metadata);
  // No local component declares FeatureMessageTTL, so daprd stamps `expiration` and the subscriber side
  // drops expired events (§1.1 item 4, §3.3).
  if (ttlMs !== undefined) envelope.expiration = formatRfc3339(new Date(input.now.getTime() + ttlMs));
  return Buffer.from(marshalLikeGo(envelope));
}

// contrib pubsub.FromCloudEvent: the caller's CloudEvent is kept, with a few fields forced or defaulted.
function passThrough(input: EnvelopeInput): Record<string, unknown> {
  const ce = parseJsonOr(input.body.toString("utf8"), undefined);
  if (!isPlainObject(ce)) {
    throw new ApiError(
      500,
      "ERR_PUBSUB_CLOUD_EVENTS_SER",
      `error when publishing to topic ${input.topic} in pubsub ${input.pubsub}: cloud event is not a JSON object`,
    );
  }
  ce.topic = input.topic;
  ce.pubsubname = input.pubsub;
  // "Absent" means no key at all: an explicit null is kept, as Go's `if _, ok := m[k]; !ok`.
  const defaults = {
    time: formatRfc3339(input.now),
    source: "Dapr",
    type: "com.dapr.event.sent",
    specversion: "1.0",
    tracestate: input.tracestate,
  };
  for (const [key, value] of Object.entries(defaults)) if (!(key in ce)) ce[key] = value;
  // The traceid quirk: without a `traceid` key, daprd overwrites the caller's `traceparent` too.
  if (!("traceid" in ce)) {
    ce.traceid = input.traceparent;
    ce.traceparent = input.traceparent;
  }
  // `id` is kept verbatim and, like daprd, never generated when missing.
  return ce;
}

// contrib pubsub.NewCloudEventsEnvelope, with the metadata.cloudevent.* overrides.
function newEnvelope(input: EnvelopeInput): Record<string, unknown> {
  const md = input.metadata;
  const traceparent = md["cloudevent.traceparent"] ?? md["cloudevent.traceid"] ?? input.traceparent;
  const envelope: Record<string, unknown> = {
    id: md["cloudevent.id"] ?? randomUUID(),
    specversion: "1.0",
    datacontenttype: input.contentType || "text/plain",
    source: md["cloudevent.source"] ?? input.appId,
    type: md["cloudevent.type"] ?? "com.dapr.event.sent",
    topic: input.topic,
    pubsubname: input.pubsub,
    traceid: traceparent,
    traceparent,
    tracestate: md["cloudevent.tracestate"] ?? input.tracestate,
    time: formatRfc3339(input.now),
  };
  if (md["cloudevent.subject"] !== undefined) envelope.subject = md["cloudevent.subject"];
  const type = mediaType(input.contentType);
  if (type === "application/octet-stream") {
    envelope.data_base64 = input.body.toString("base64");
  } else {
    const text = input.body.toString("utf8");
    // Only exactly application/json is parsed; application/*+json stays a string, as in daprd.
    envelope.data = type === "application/json" ? parseJsonOr(text, text) : text;
  }
  return envelope;
}

/** contrib metadata.TryGetTTL: `ttlInSeconds` or `ttl` (any case), as a Go duration or integer seconds. */
function ttlFromMetadata(metadata: Record<string, string>): number | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    const k = key.toLowerCase();
    if (k !== "ttlinseconds" && k !== "ttl") continue;
    const asDuration = parseGoDuration(value);
    if (asDuration !== undefined) return asDuration > 0 ? asDuration : undefined;
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    return undefined; // daprd ignores a TTL it cannot parse
  }
  return undefined;
}

/** contrib pubsub.HasExpired, used before every delivery. */
export function hasExpired(event: Record<string, unknown>, now: Date): boolean {
  const expiration = event.expiration;
  if (typeof expiration !== "string") return false;
  const at = Date.parse(expiration);
  return Number.isFinite(at) && at < now.getTime();
}

/** contrib pubsub.FromRawPayload: how a raw message reaches a `rawPayload` subscription (§3.2). */
export function rawPayloadEnvelope(raw: Buffer, pubsub: string, topic: string): Record<string, unknown> {
  return {
    id: randomUUID(),
    specversion: "1.0",
    datacontenttype: "application/octet-stream",
    source: "Dapr",
    type: "com.dapr.event.sent",
    topic,
    pubsubname: pubsub,
    data_base64: raw.toString("base64"),
  };
}
