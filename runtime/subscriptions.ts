/**
 * The one function that turns a registered topic handler into a Dapr subscription.
 *
 * Both channels come from here, so they cannot disagree:
 * - `GET /dapr/subscribe` (the router answers with `programmaticSubscriptions(group, registry)`) is what daprd
 *   actually uses. For the same pubsub + topic a programmatic subscription silently replaces a declarative one
 *   (dapr-contract §2.1, `ListSubscriptionsAppByPubSub`).
 * - `subscriptions/*.yaml` (written by `npm run gen`) wraps the same object as the `spec` of a Subscription
 *   resource, for operators who inspect subscriptions with `kubectl get subscriptions.dapr.io`.
 *
 * Pure: no I/O, no environment.
 */
import type { RegisteredSubscription, Registry } from "./registry.js";

/** One element of the `GET /dapr/subscribe` array, and the `spec` of the v2alpha1 Subscription resource. */
export interface DaprSubscription {
  pubsubname: string;
  topic: string;
  routes: { default: string };
  /** Absent when the handler sets `deadLetterTopic: false`. */
  deadLetterTopic?: string;
  /** Present only when the handler declares `bulk`. */
  bulkSubscribe?: { enabled: true; maxMessagesCount: number; maxAwaitDurationMs: number };
}

/** The Dapr subscription of one registered topic handler (keys in a fixed order, optional keys omitted). */
export function daprSubscription(subscription: RegisteredSubscription): DaprSubscription {
  const { unit, route } = subscription;
  const entry: DaprSubscription = { pubsubname: unit.pubsub, topic: unit.topic, routes: { default: route } };
  if (unit.deadLetterTopic !== false) entry.deadLetterTopic = unit.deadLetterTopic;
  if (unit.bulk) {
    entry.bulkSubscribe = {
      enabled: true,
      maxMessagesCount: unit.bulk.maxMessages,
      maxAwaitDurationMs: unit.bulk.maxAwaitMs,
    };
  }
  return entry;
}

/**
 * The body of `GET /dapr/subscribe` for one function group (one Dapr app-id), in registry order.
 * A group that is not in the registry, or has no topic handlers, subscribes to nothing (`[]`); rejecting an
 * unknown group is the caller's job.
 */
export function programmaticSubscriptions(group: string, registry: Registry): DaprSubscription[] {
  const entry = Object.hasOwn(registry, group) ? registry[group] : undefined;
  return (entry?.subscriptions ?? []).map(daprSubscription);
}
