/**
 * Programmatic subscriptions as daprd reads them from `GET /dapr/subscribe` (contract §2.1), and the
 * route choice for each event (`routes.rules` in order, then the default).
 *
 * DEVIATION from daprd: a real sidecar keeps one subscription per pubsub+topic (the last one wins). One
 * local sidecar may front a process that serves several function groups at once, each with its own
 * route for the same topic, so we keep every entry keyed by pubsub+topic+routes and deliver each
 * message to each of them, as separate sidecars (separate consumer groups) would. Within one group the
 * generator guarantees one entry per topic, so a single group sees exactly daprd's behaviour.
 */
import { posix } from "node:path";
import type { Logger } from "../log.js";
import { parseGoBool } from "./http.js";
import { field, isPlainObject } from "./json.js";

export interface RouteRule {
  /** CEL over `event`; "" for the default route. */
  match: string;
  path: string;
}

export interface DiscoveredSubscription {
  pubsubname: string;
  topic: string;
  /** Rules in evaluation order, the default (match "") last. */
  rules: RouteRule[];
  metadata: Record<string, string>;
  deadLetterTopic?: string;
  bulkSubscribe?: { enabled: boolean; maxMessagesCount: number; maxAwaitDurationMs: number };
}

/** Thrown when the body fails Go's typed decode; daprd then logs it and has no programmatic subscriptions. */
export class SubscriptionDecodeError extends Error {}

export function parseSubscriptions(body: unknown, log: Logger): DiscoveredSubscription[] {
  if (body === null) return [];
  if (!Array.isArray(body)) throw new SubscriptionDecodeError("/dapr/subscribe did not return a JSON array");
  const byKey = new Map<string, DiscoveredSubscription>();
  for (const item of body) {
    const sub = decodeOne(item);
    if (sub.rules.length === 0) {
      log.warn("subscription has no route and is ignored", { pubsubname: sub.pubsubname, topic: sub.topic });
      continue;
    }
    byKey.set(JSON.stringify([sub.pubsubname, sub.topic, sub.rules]), sub);
  }
  return [...byKey.values()];
}

function decodeOne(item: unknown): DiscoveredSubscription {
  if (!isPlainObject(item)) throw new SubscriptionDecodeError("subscription is not a JSON object");
  const str = (obj: Record<string, unknown>, name: string): string => {
    const v = field(obj, name);
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") throw new SubscriptionDecodeError(`${name} must be a string`);
    return v;
  };
  const routes = field(item, "routes") ?? {};
  if (!isPlainObject(routes)) throw new SubscriptionDecodeError("routes must be an object");
  const rules: RouteRule[] = [];
  const rawRules = field(routes, "rules") ?? [];
  if (!Array.isArray(rawRules)) throw new SubscriptionDecodeError("routes.rules must be an array");
  for (const rule of rawRules) {
    if (!isPlainObject(rule)) throw new SubscriptionDecodeError("a routes.rules entry must be an object");
    rules.push({ match: str(rule, "match"), path: cleanPath(str(rule, "path")) });
  }
  // If there is no routes.default, a non-empty v1 `route` acts as the default.
  const fallback = str(routes, "default") || str(item, "route");
  if (fallback !== "") rules.push({ match: "", path: cleanPath(fallback) });

  const metadata: Record<string, string> = {};
  const rawMetadata = field(item, "metadata") ?? {};
  if (!isPlainObject(rawMetadata)) throw new SubscriptionDecodeError("metadata must be an object");
  for (const [k, v] of Object.entries(rawMetadata)) {
    // map[string]string: a boolean `rawPayload: true` fails the whole decode in daprd.
    if (typeof v !== "string") throw new SubscriptionDecodeError(`metadata.${k} must be a string`);
    metadata[k] = v;
  }
  const sub: DiscoveredSubscription = {
    pubsubname: str(item, "pubsubname"),
    topic: str(item, "topic"),
    rules,
    metadata,
  };
  const dlq = str(item, "deadLetterTopic");
  if (dlq !== "") sub.deadLetterTopic = dlq;
  const bulk = field(item, "bulkSubscribe");
  if (bulk !== undefined && bulk !== null) sub.bulkSubscribe = decodeBulk(bulk);
  return sub;
}

function decodeBulk(bulk: unknown): NonNullable<DiscoveredSubscription["bulkSubscribe"]> {
  if (!isPlainObject(bulk)) throw new SubscriptionDecodeError("bulkSubscribe must be an object");
  const enabled = field(bulk, "enabled") ?? false;
  if (typeof enabled !== "boolean")
    throw new SubscriptionDecodeError("bulkSubscribe.enabled must be a boolean");
  const int = (name: string): number => {
    const v = field(bulk, name) ?? 0;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new SubscriptionDecodeError(`bulkSubscribe.${name} must be an integer`);
    }
    return v;
  };
  // Unset or non-positive: the Kafka component's defaults (§4), the broker this sidecar stands in for.
  const count = int("maxMessagesCount");
  const await_ = int("maxAwaitDurationMs");
  return {
    enabled,
    maxMessagesCount: count > 0 ? count : KAFKA_BULK_DEFAULTS.maxMessagesCount,
    maxAwaitDurationMs: await_ > 0 ? await_ : KAFKA_BULK_DEFAULTS.maxAwaitDurationMs,
  };
}

/** What the Kafka component uses when a subscription leaves them unset (contract §4). */
export const KAFKA_BULK_DEFAULTS = { maxMessagesCount: 80, maxAwaitDurationMs: 10_000 };

// daprd adds a leading "/" and applies path.Clean.
function cleanPath(path: string): string {
  if (path === "") return "";
  const cleaned = posix.normalize(`/${path}`);
  return cleaned.length > 1 && cleaned.endsWith("/") ? cleaned.slice(0, -1) : cleaned;
}

/** `rawPayload` subscription metadata: true, false, or "invalid" (daprd then fails every delivery). */
export function rawPayloadMode(sub: DiscoveredSubscription): boolean | "invalid" {
  const value = sub.metadata.rawPayload;
  if (value === undefined) return false;
  return parseGoBool(value) ?? "invalid";
}

const SIMPLE_CEL =
  /^\s*event\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*$/;
const warned = new Set<string>();

/**
 * The first rule whose `match` holds, else undefined (daprd then drops the event). Only
 * `event.<attribute> == "literal"` is evaluated; any other CEL is logged once and never matches.
 */
export function chooseRoute(
  sub: DiscoveredSubscription,
  event: Record<string, unknown>,
  log: Logger,
): string | undefined {
  for (const rule of sub.rules) {
    if (rule.match === "") return rule.path;
    const m = SIMPLE_CEL.exec(rule.match);
    if (!m) {
      if (!warned.has(rule.match)) {
        warned.add(rule.match);
        log.warn('the local sidecar only evaluates `event.<attr> == "value"`; rule treated as not matching', {
          match: rule.match,
        });
      }
      continue;
    }
    const literal = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
    if (event[m[1] as string] === literal) return rule.path;
  }
  return undefined;
}
