import path from "node:path";
import { describe, expect, it } from "vitest";
import { findDaprReference, validateAgainstCrd } from "./crd.js";
import { REPO_ROOT } from "./fixture-project.js";

const reference = findDaprReference(REPO_ROOT);
const crd = (name: string) => path.join(reference ?? "", "crds", name);

const subscription = () => ({
  apiVersion: "dapr.io/v2alpha1",
  kind: "Subscription",
  metadata: { name: "alpha-reminder-due", labels: { "app.kubernetes.io/part-of": "taskbeat" } },
  spec: {
    pubsubname: "pubsub",
    topic: "task-reminders",
    routes: { default: "/events/alpha/reminder-due", rules: [{ match: 'event.type == "x"', path: "/x" }] },
    deadLetterTopic: "task-reminders-dlq",
    bulkSubscribe: { enabled: true, maxMessagesCount: 100, maxAwaitDurationMs: 1000 },
  },
  scopes: ["alpha"],
});

describe.skipIf(!reference)(
  `validateAgainstCrd${reference ? "" : " (skipped: ../shared/dapr-reference not found)"}`,
  () => {
    it("accepts a valid v2alpha1 Subscription", () => {
      expect(validateAgainstCrd(subscription(), crd("subscription.yaml"))).toEqual([]);
    });

    it("reports fields the API server would prune, at any depth, naming what is allowed", () => {
      const object = subscription() as Record<string, unknown> & { spec: Record<string, unknown> };
      object.spec.scopes = ["alpha"];
      (object.spec.routes as Record<string, unknown>).fallback = "/x";
      object.status = {};
      expect(validateAgainstCrd(object, crd("subscription.yaml"))).toEqual([
        expect.stringMatching(
          /^spec\.routes\.fallback: not in the CRD schema \(spec\.routes allows: default, rules\)/,
        ),
        expect.stringMatching(
          /^spec\.scopes: not in the CRD schema \(spec allows: bulkSubscribe, .*\); the API server/,
        ),
        expect.stringMatching(/^status: not in the CRD schema; the API server would prune it/),
      ]);
    });

    it("chooses the schema by apiVersion: v1alpha1 has route, not routes", () => {
      const object = { ...subscription(), apiVersion: "dapr.io/v1alpha1" };
      expect(validateAgainstCrd(object, crd("subscription.yaml"))).toEqual([
        "spec: must have required property 'route'",
        expect.stringMatching(/^spec\.routes: not in the CRD schema/),
      ]);
    });

    it("reports an unserved version, a wrong group and a wrong kind", () => {
      expect(
        validateAgainstCrd({ ...subscription(), apiVersion: "dapr.io/v3" }, crd("subscription.yaml")),
      ).toEqual(['version "v3" is not served by the CRD (served: v1alpha1, v2alpha1)']);
      expect(
        validateAgainstCrd(
          { ...subscription(), apiVersion: "dapr.dev/v2alpha1", kind: "Sub" },
          crd("subscription.yaml"),
        ),
      ).toEqual([
        'apiVersion group "dapr.dev" is not the CRD\'s group "dapr.io"',
        'kind "Sub" is not the CRD\'s kind "Subscription"',
      ]);
    });

    it("validates types, required fields and int32 ranges", () => {
      const object = subscription();
      const bulk = object.spec.bulkSubscribe as Record<string, unknown>;
      bulk.maxMessagesCount = 2 ** 31;
      delete bulk.enabled;
      (object.spec as Record<string, unknown>).topic = 7;
      expect(validateAgainstCrd(object, crd("subscription.yaml"))).toEqual([
        "spec.bulkSubscribe: must have required property 'enabled'",
        expect.stringMatching(/^spec\.bulkSubscribe\.maxMessagesCount: must match format "int32"/),
        expect.stringMatching(/^spec\.topic: must be string/),
      ]);
    });

    it("checks metadata as ObjectMeta: known fields, a DNS-1123 name, string labels", () => {
      const object = {
        ...subscription(),
        metadata: { name: "Alpha_Reminder", namespace: "prod", owner: "me", labels: { tier: 1 } },
      };
      expect(validateAgainstCrd(object, crd("subscription.yaml"))).toEqual([
        "metadata.owner: not a field of ObjectMeta; it would be dropped",
        expect.stringMatching(/^metadata\.name: "Alpha_Reminder" is not a DNS-1123 subdomain/),
        "metadata.labels.tier: must be a string",
      ]);
    });

    it("keeps anything under x-kubernetes-preserve-unknown-fields (Component metadata values)", () => {
      const component = {
        apiVersion: "dapr.io/v1alpha1",
        kind: "Component",
        metadata: { name: "pubsub" },
        spec: {
          type: "pubsub.kafka",
          version: "v1",
          metadata: [
            { name: "brokers", value: { any: ["shape"] } },
            { name: "saslPassword", secretKeyRef: { name: "kafka", key: "password" } },
          ],
        },
        auth: { secretStore: "kubernetes" },
        scopes: ["backend"],
      };
      expect(validateAgainstCrd(component, crd("components.yaml"))).toEqual([]);
      (component.spec.metadata[1] as Record<string, unknown>).secretRef = "kafka";
      expect(validateAgainstCrd(component, crd("components.yaml"))).toEqual([
        expect.stringMatching(/^spec\.metadata\[1\]\.secretRef: not in the CRD schema/),
      ]);
    });

    it("follows additionalProperties schemas (Resiliency policies by name)", () => {
      const resiliency = {
        apiVersion: "dapr.io/v1alpha1",
        kind: "Resiliency",
        metadata: { name: "taskbeat" },
        spec: {
          policies: {
            retries: { pubsubRetry: { policy: "exponential", maxRetries: -1, maxInterval: "15s" } },
            timeouts: { general: "5s" },
          },
          targets: { components: { pubsub: { inbound: { retry: "pubsubRetry" } } } },
        },
      };
      expect(validateAgainstCrd(resiliency, crd("resiliency.yaml"))).toEqual([]);
      (resiliency.spec.policies.retries.pubsubRetry as Record<string, unknown>).backoff = "2s";
      expect(validateAgainstCrd(resiliency, crd("resiliency.yaml"))).toEqual([
        expect.stringMatching(/^spec\.policies\.retries\.pubsubRetry\.backoff: not in the CRD schema/),
      ]);
    });
  },
);
