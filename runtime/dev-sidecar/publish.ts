/**
 * `POST|PUT /v1.0/publish/{pubsub}/{topic…}` and the bulk variant (contract §1.1, §1.2). Validation
 * order and status codes follow daprd's `onPublish`/`onBulkPublish`; the fault injector's failures
 * stand in for a broker error and therefore come after validation.
 */

import { parseJsonOr } from "../json.js";
import type { Broker } from "./broker.js";
import { buildEnvelope, CLOUDEVENTS_JSON } from "./envelope.js";
import type { FaultState } from "./faults.js";
import {
  ApiError,
  empty,
  mediaType,
  metadataFromQuery,
  parseGoBool,
  type RequestContext,
  type Route,
} from "./http.js";
import { isPlainObject } from "./json.js";
import { childSpan, formatTraceparent, parseTraceparent } from "./trace.js";

export interface PublishDeps {
  appId: string;
  pubsubs: readonly string[];
  broker: Broker;
  faults: FaultState;
}

export function publishRoutes(deps: PublishDeps): Route[] {
  const single = (ctx: RequestContext) => publishOne(deps, ctx);
  const bulk = (ctx: RequestContext) => publishBulk(deps, ctx);
  return [
    { methods: ["POST", "PUT"], pattern: "/v1.0/publish/bulk/:pubsub/*topic", handler: bulk },
    { methods: ["POST", "PUT"], pattern: "/v1.0-alpha1/publish/bulk/:pubsub/*topic", handler: bulk },
    { methods: ["POST", "PUT"], pattern: "/v1.0/publish/:pubsub/*topic", handler: single },
  ];
}

interface Target {
  pubsub: string;
  topic: string;
  metadata: Record<string, string>;
  rawPayload: boolean;
  traceparent: string;
  tracestate: string;
}

function target(deps: PublishDeps, ctx: RequestContext): Target {
  const pubsub = ctx.params.pubsub ?? "";
  const topic = ctx.params.topic ?? "";
  if (pubsub === "") throw new ApiError(404, "ERR_PUBSUB_EMPTY", "pubsub name is empty");
  if (!deps.pubsubs.includes(pubsub))
    throw new ApiError(404, "ERR_PUBSUB_NOT_FOUND", `pubsub ${pubsub} is not found`);
  if (topic === "") throw new ApiError(404, "ERR_TOPIC_NAME_EMPTY", `topic is empty in pubsub ${pubsub}`);
  const metadata = metadataFromQuery(ctx.url);
  const rawPayload = metadata.rawPayload === undefined ? false : parseGoBool(metadata.rawPayload);
  if (rawPayload === undefined) {
    throw new ApiError(
      400,
      "ERR_PUBSUB_REQUEST_METADATA",
      `failed deserializing metadata: rawPayload=${metadata.rawPayload}`,
    );
  }
  const header = (name: string) => {
    const v = ctx.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  // The publish span is a child of the caller's traceparent (a new trace without one).
  const span = childSpan(parseTraceparent(header("traceparent")));
  return {
    pubsub,
    topic,
    metadata,
    rawPayload,
    traceparent: formatTraceparent(span),
    tracestate: header("tracestate") ?? "",
  };
}

async function publishOne(deps: PublishDeps, ctx: RequestContext) {
  const t = target(deps, ctx);
  const body = await ctx.body();
  const contentType = headerValue(ctx.headers["content-type"]);
  const bytes = t.rawPayload
    ? body
    : buildEnvelope({ ...t, body, contentType, appId: deps.appId, now: new Date() });
  const failure = deps.faults.takePublishFailure();
  if (failure !== undefined) {
    throw new ApiError(
      failure,
      "ERR_PUBSUB_PUBLISH_MESSAGE",
      `error when publish to topic ${t.topic} in pubsub ${t.pubsub}: injected fault`,
    );
  }
  deps.broker.publish({
    pubsub: t.pubsub,
    topic: t.topic,
    body: bytes,
    metadata: t.metadata,
    contentType: t.rawPayload ? contentType : CLOUDEVENTS_JSON,
  });
  deps.broker.flush();
  return empty();
}

interface BulkEntry {
  entryId: string;
  bytes: Buffer;
  metadata: Record<string, string>;
  contentType: string;
}

async function publishBulk(deps: PublishDeps, ctx: RequestContext) {
  const t = target(deps, ctx);
  const parsed = parseJsonOr((await ctx.body()).toString("utf8"), undefined);
  if (!Array.isArray(parsed)) throw eventsSer("the body must be a JSON array of entries");
  const seen = new Set<string>();
  const entries: BulkEntry[] = [];
  for (const raw of parsed) {
    if (!isPlainObject(raw)) throw eventsSer("each entry must be a JSON object");
    const { entryId, event, contentType, metadata } = raw;
    if (typeof entryId !== "string" || entryId === "") throw eventsSer("entryId is required");
    if (seen.has(entryId)) throw eventsSer(`entryId ${entryId} is duplicated`);
    seen.add(entryId);
    if (typeof contentType !== "string") throw eventsSer(`entry ${entryId}: contentType is required`);
    if (metadata !== undefined && !isStringMap(metadata))
      throw eventsSer(`entry ${entryId}: metadata must map strings`);
    // Request metadata is merged only into entries that have their own metadata; the entry wins.
    const entryMetadata = metadata === undefined ? {} : { ...t.metadata, ...metadata };
    const payload = eventBytes(entryId, event, contentType);
    const bytes = t.rawPayload
      ? payload
      : buildEnvelope({
          ...t,
          metadata: entryMetadata,
          body: payload,
          contentType,
          appId: deps.appId,
          now: new Date(),
        });
    entries.push({ entryId, bytes, metadata: entryMetadata, contentType });
  }
  // Like daprd with a component lacking BulkPublish (in-memory, Redis), entries are published one by
  // one, so an injected broker failure hits single entries and the rest still go out (§1.2).
  const failedEntries: Array<{ entryId: string; error: string }> = [];
  let failureStatus = 500;
  for (const e of entries) {
    const failure = deps.faults.takePublishFailure();
    if (failure !== undefined) {
      failureStatus = failure;
      failedEntries.push({ entryId: e.entryId, error: "injected fault" });
      continue;
    }
    deps.broker.publish({
      pubsub: t.pubsub,
      topic: t.topic,
      body: e.bytes,
      metadata: e.metadata,
      contentType: t.rawPayload ? e.contentType : CLOUDEVENTS_JSON,
    });
  }
  // On disk before the answer: a publisher that saw it accepted may forget it (the relay deletes its row).
  deps.broker.flush();
  if (failedEntries.length > 0) {
    throw new ApiError(
      failureStatus,
      "ERR_PUBSUB_PUBLISH_MESSAGE",
      "error when publishing bulk: injected fault",
      {
        failedEntries,
      },
    );
  }
  return empty();
}

// daprd ConvertEventToBytes: the entry's contentType decides how `event` becomes bytes.
function eventBytes(entryId: string, event: unknown, contentType: string): Buffer {
  const type = mediaType(contentType);
  if (type === "application/octet-stream") {
    if (typeof event !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(event)) {
      throw eventsSer(`entry ${entryId}: event must be a base64 string for ${contentType}`);
    }
    return Buffer.from(event, "base64");
  }
  if (type.startsWith("text/") || type === "application/xml") {
    if (typeof event !== "string")
      throw eventsSer(`entry ${entryId}: mismatch between contentType and event`);
    return Buffer.from(event);
  }
  if (type === "application/json" || type === CLOUDEVENTS_JSON)
    return Buffer.from(JSON.stringify(event ?? null));
  throw eventsSer(`entry ${entryId}: mismatch between contentType and event`);
}

const eventsSer = (message: string) => new ApiError(400, "ERR_PUBSUB_EVENTS_SER", message);

function isStringMap(v: unknown): v is Record<string, string> {
  return isPlainObject(v) && Object.values(v).every((x) => typeof x === "string");
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
