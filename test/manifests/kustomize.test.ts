/**
 * `kubectl kustomize` on every overlay, and what comes out: Dapr objects against the pinned CRDs, Kubernetes
 * objects against the Kubernetes schemas (kubernetes-models), and the cross-checks between them and functions/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { validateAgainstCrd } from "../support/crd.js";
import {
  daprReferenceDir,
  kubectl as kubectlPrerequisite,
  daprReference as referencePrerequisite,
} from "./prerequisites.js";

const root = path.resolve(import.meta.dirname, "../..");
const overlaysDir = path.join(root, "manifests/overlays");
const overlays = readdirSync(overlaysDir).filter((name) =>
  existsSync(path.join(overlaysDir, name, "kustomization.yaml")),
);
const groups = readdirSync(path.join(root, "functions"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_"))
  .map((entry) => entry.name)
  .sort();
const daprReference = daprReferenceDir;

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML; the assertions are the type checks
type Obj = Record<string, any>;

// Outside CI a missing kubectl skips these tests (saying so); in CI they run and fail.
const kubectl = !kubectlPrerequisite.skip;

function build(overlay: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", path.join(overlaysDir, overlay)], { encoding: "utf8" });
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((doc): doc is Obj => doc !== null);
}

/** The CRD file in shared/dapr-reference/crds/ for each Dapr kind. */
const CRD_FILES: Record<string, string> = {
  Component: "components.yaml",
  Configuration: "configuration.yaml",
  Resiliency: "resiliency.yaml",
  Subscription: "subscription.yaml",
  HTTPEndpoint: "httpendpoints.yaml",
};

/** Kubernetes models by `apiVersion kind`; a kind missing here fails the test instead of going unchecked. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 ServiceAccount": ServiceAccount,
  "v1 Service": Service,
  "v1 ConfigMap": ConfigMap,
  "v1 Secret": Secret,
  "v1 Namespace": Namespace,
  "batch/v1 Job": Job,
  "networking.k8s.io/v1 Ingress": Ingress,
  "apps/v1 Deployment": Deployment,
  "apps/v1 StatefulSet": StatefulSet,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1 NetworkPolicy": NetworkPolicy,
};

const isDapr = (o: Obj) => typeof o.apiVersion === "string" && o.apiVersion.startsWith("dapr.io/");
const id = (o: Obj) => `${o.kind}/${o.metadata?.name}`;
const partOf = (o: Obj) => o.metadata?.labels?.["app.kubernetes.io/part-of"] as string | undefined;
/** taskbeat's own objects (the base labels them all); the local overlay's PostgreSQL and Redis are part-of=taskbeat-local. */
const isApp = (o: Obj) => partOf(o) === "taskbeat";
/** Marks the throwaway credentials the local overlay generates (manifests/overlays/local/kustomization.yaml). */
const LOCAL_ONLY_ANNOTATION = "taskbeat/local-only";
const decode = (value: string) => Buffer.from(value, "base64").toString("utf8");

/**
 * kustomize folds long base64 Secret data over several lines; the API server decodes it with Go's base64, which
 * skips newlines, while the schema's "byte" format does not. Join the lines before validating.
 */
function normalize(o: Obj): Obj {
  if (o.kind !== "Secret" || !o.data) return o;
  const data = Object.fromEntries(
    Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, "")]),
  );
  return { ...o, data };
}

/** Metadata keys the component type documents in ../shared/dapr-reference/components/, or undefined if none. */
function knownMetadataKeys(type: string, version: string): Set<string> | undefined {
  const file = [`${type}.${version}.metadata.yaml`, `${type}.metadata.yaml`]
    .map((c) => path.join(daprReference as string, "components", c))
    .find(existsSync);
  if (!file) return undefined;
  const reference = parse(readFileSync(file, "utf8")) as Obj;
  return new Set<string>(
    [
      ...(reference.metadata ?? []),
      ...(reference.authenticationProfiles ?? []).flatMap((p: Obj) => p.metadata ?? []),
      ...(reference.builtinAuthenticationProfiles ?? []).flatMap((p: Obj) => p.metadata ?? []),
    ].map((m: Obj) => m.name),
  );
}

describe.skipIf(!kubectl)(`kubectl kustomize${kubectlPrerequisite.note}`, () => {
  it("finds the overlays", () => {
    expect(overlays.sort()).toEqual(["local", "production"]);
  });

  describe.each(overlays)("overlay %s", (overlay) => {
    const objects = kubectl ? build(overlay) : [];
    const deployments = objects.filter((o) => o.kind === "Deployment");
    const appIds = deployments.map((d) => d.spec.template.metadata.annotations["dapr.io/app-id"] as string);

    it("builds, into one namespace, with no duplicate objects", () => {
      expect(objects.length).toBeGreaterThan(0);
      const names = objects.map((o) => `${o.apiVersion} ${id(o)}`);
      expect(new Set(names).size).toBe(names.length);
      // The Namespace itself is cluster-scoped; everything else lives in it.
      for (const o of objects.filter((x) => x.kind !== "Namespace"))
        expect(o.metadata.namespace, id(o)).toBe("taskbeat");
      expect(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name)).toEqual(["taskbeat"]);
    });

    it("has Kubernetes objects that validate against the Kubernetes schemas", () => {
      const problems: string[] = [];
      for (const o of objects.filter((x) => !isDapr(x))) {
        const Model = MODELS[`${o.apiVersion} ${o.kind}`];
        if (!Model) {
          problems.push(`${o.apiVersion} ${id(o)}: no schema in this test; add its kubernetes-models class`);
          continue;
        }
        try {
          new Model(normalize(o) as never).validate();
        } catch (error) {
          problems.push(`${id(o)}: ${(error as Error).message}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it.skipIf(referencePrerequisite.skip)(
      `has Dapr objects that validate against the CRDs${referencePrerequisite.note}`,
      () => {
        const problems: string[] = [];
        const dapr = objects.filter(isDapr);
        expect(dapr.map((o) => o.kind).sort()).toEqual([
          "Component",
          "Component",
          "Configuration",
          "Resiliency",
        ]);
        for (const o of dapr) {
          const file = CRD_FILES[o.kind];
          if (!file) problems.push(`${id(o)}: no CRD known for kind ${o.kind}`);
          else
            problems.push(
              ...validateAgainstCrd(o, path.join(daprReference as string, "crds", file)).map(
                (p) => `${id(o)}: ${p}`,
              ),
            );
        }
        expect(problems).toEqual([]);
      },
    );

    it.skipIf(referencePrerequisite.skip)(
      `has Components that use only metadata keys their type documents${referencePrerequisite.note}`,
      () => {
        const problems: string[] = [];
        for (const c of objects.filter((o) => isDapr(o) && o.kind === "Component")) {
          const { type, version, metadata } = c.spec as { type: string; version: string; metadata: Obj[] };
          const known = knownMetadataKeys(type, version);
          if (!known) {
            problems.push(`${id(c)}: no reference metadata for ${type} ${version}`);
            continue;
          }
          for (const m of metadata) {
            // Topic scopes are read by daprd for every pub/sub, not by the component (DAPR_PUBSUB_KEYS).
            if (type.startsWith("pubsub.") && DAPR_PUBSUB_KEYS.has(m.name)) continue;
            if (!known.has(m.name)) problems.push(`${id(c)}: "${m.name}" is not a ${type} ${version} field`);
          }
        }
        expect(problems).toEqual([]);
      },
    );

    it("has one Deployment per function group, app-id = group, app-port = containerPort = PORT", () => {
      expect([...appIds].sort()).toEqual(groups);
      for (const d of deployments) {
        const group = d.spec.template.metadata.annotations["dapr.io/app-id"];
        const annotations = d.spec.template.metadata.annotations as Record<string, string>;
        const [app] = d.spec.template.spec.containers as Obj[];
        expect(app, id(d)).toBeDefined();
        const env = Object.fromEntries((app?.env ?? []).map((e: Obj) => [e.name, e]));
        const appPort = annotations["dapr.io/app-port"];
        expect(
          app?.ports.map((p: Obj) => String(p.containerPort)),
          id(d),
        ).toEqual([appPort]);
        expect(env.PORT?.value, id(d)).toBe(appPort);
        expect(env.FUNCTION_GROUP?.value, id(d)).toBe(group);
        expect(app?.command, id(d)).toEqual(["taskbeat"]);
        expect(app?.args, id(d)).toEqual(["serve", "--group", "$(FUNCTION_GROUP)"]);
        expect(d.metadata.name).toBe(`taskbeat-${group}`);
      }
    });

    it("gives every Deployment the Dapr annotations, probes, resources and a restricted securityContext", () => {
      const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "taskbeat-config");
      const appGraceMs = Number(config?.data.SHUTDOWN_GRACE_MS ?? 10_000);
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        const a = d.spec.template.metadata.annotations as Record<string, string>;
        expect(a, id(d)).toMatchObject({
          "dapr.io/enabled": "true",
          "dapr.io/app-protocol": "http",
          "dapr.io/enable-app-health-check": "true",
          "dapr.io/app-health-check-path": "/healthz",
          "dapr.io/config": "taskbeat",
          "dapr.io/enable-metrics": "true",
          "dapr.io/api-token-secret": "taskbeat-dapr-api-token",
          "dapr.io/app-token-secret": "taskbeat-app-api-token",
        });
        expect(["true", "false"]).toContain(a["dapr.io/log-as-json"]);
        for (const key of ["cpu-request", "cpu-limit", "memory-request", "memory-limit"]) {
          expect(a[`dapr.io/sidecar-${key}`], `${id(d)} sidecar-${key}`).toBeTruthy();
        }
        // Shutdown order: the app sleeps in preStop, then drains (SHUTDOWN_GRACE_MS) and closes its listener after
        // a short delay; daprd keeps its API up that long (block-shutdown-duration), then drains itself
        // (graceful-shutdown-seconds); the pod's grace period covers daprd's whole shutdown.
        const [app] = pod.containers as Obj[];
        const preStop = Number(app?.lifecycle?.preStop?.sleep?.seconds);
        expect(preStop, `${id(d)} preStop sleep`).toBeGreaterThanOrEqual(3);
        expect(preStop).toBeLessThanOrEqual(10);
        const block = seconds(a["dapr.io/block-shutdown-duration"]);
        const sidecarGrace = Number(a["dapr.io/graceful-shutdown-seconds"]);
        expect(block, `${id(d)} block-shutdown-duration`).toBeGreaterThanOrEqual(
          preStop + appGraceMs / 1000 + LISTENER_DELAY_S,
        );
        expect(sidecarGrace).toBeGreaterThan(0);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(block + sidecarGrace);
        // No Kubernetes API token in the pod: nothing in it calls the API (daprd gets its own Sentry token).
        expect(pod.automountServiceAccountToken, id(d)).toBe(false);
        expect(a["dapr.io/disable-builtin-k8s-secret-store"], id(d)).toBe("true");

        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(pod.serviceAccountName).toBe(d.metadata.name);
        for (const c of pod.containers as Obj[]) {
          expect(c.securityContext, `${id(d)} ${c.name}`).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          });
          expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
          expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
          expect(c.resources?.requests).toMatchObject({
            cpu: expect.any(String),
            memory: expect.any(String),
          });
          expect(c.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
          expect(c.envFrom).toEqual([{ configMapRef: { name: "taskbeat-config" } }]);
          // The tokens reach daprd through the annotations only; the app reads the same secrets itself.
          const env = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e]));
          expect(env.DAPR_API_TOKEN?.valueFrom?.secretKeyRef).toEqual({
            name: "taskbeat-dapr-api-token",
            key: "token",
          });
          expect(env.APP_API_TOKEN?.valueFrom?.secretKeyRef).toEqual({
            name: "taskbeat-app-api-token",
            key: "token",
          });
          expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
        }
      }
    });

    it("has a Service, ServiceAccount and PodDisruptionBudget per group, HPAs only on existing Deployments", () => {
      const names = (kind: string) =>
        objects.filter((o) => o.kind === kind && isApp(o)).map((o) => o.metadata.name as string);
      const expected = groups.map((g) => `taskbeat-${g}`);
      expect(names("Service").sort()).toEqual(expected);
      expect(names("ServiceAccount").sort()).toEqual([...expected, "taskbeat-migrate"].sort());
      for (const sa of objects.filter((o) => o.kind === "ServiceAccount" && isApp(o)))
        expect(sa.automountServiceAccountToken, id(sa)).toBe(false);
      const pdbs = objects.filter((o) => o.kind === "PodDisruptionBudget");
      expect(pdbs.map((p) => p.spec.selector.matchLabels["app.kubernetes.io/name"]).sort()).toEqual(expected);
      const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
      expect(hpas.length).toBeGreaterThan(0);
      for (const h of hpas) {
        expect(names("Deployment")).toContain(h.spec.scaleTargetRef.name);
        expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
        // The HPA owns the count: a replicas field would reset it at every `kubectl apply`.
        const target = deployments.find((d) => d.metadata.name === h.spec.scaleTargetRef.name);
        expect(target?.spec.replicas, `${h.spec.scaleTargetRef.name} replicas`).toBeUndefined();
      }
      // A not-ready pod never blocks a node drain.
      for (const p of pdbs) expect(p.spec.unhealthyPodEvictionPolicy, id(p)).toBe("AlwaysAllow");
      for (const s of objects.filter((o) => o.kind === "Service" && isApp(o))) {
        const target = deployments.find((d) => d.metadata.name === s.metadata.name);
        expect(target?.spec.template.metadata.labels).toMatchObject(s.spec.selector);
      }
    });

    it("scopes every Component and Resiliency to existing app-ids, and pubsub to every group that uses it", () => {
      for (const o of objects.filter((x) => isDapr(x) && x.kind !== "Configuration")) {
        expect(o.scopes, id(o)).toBeInstanceOf(Array);
        for (const scope of o.scopes as string[]) expect(appIds, `${id(o)} scope ${scope}`).toContain(scope);
      }
      const pubsub = objects.find((o) => o.kind === "Component" && o.metadata.name === "pubsub");
      expect([...(pubsub?.scopes ?? [])].sort()).toEqual([...PUBSUB_USERS].sort());
    });

    it("only references Secrets the template declares or local-only generated ones; production declares none", () => {
      const secrets = objects.filter((o) => o.kind === "Secret");
      if (overlay !== "local") expect(secrets).toEqual([]);
      // The local overlay's generated credentials: marked, outside part-of=taskbeat, and obviously throwaway.
      for (const s of secrets) {
        expect(s.metadata.annotations?.[LOCAL_ONLY_ANNOTATION], id(s)).toBe("true");
        expect(partOf(s), id(s)).toBe("taskbeat-local");
        expect(s.stringData, id(s)).toBeUndefined();
        for (const [key, value] of Object.entries((s.data ?? {}) as Record<string, string>))
          expect(decode(value), `${id(s)} ${key}`).toContain("local-only");
      }
      const generated = secrets.flatMap((s) =>
        Object.keys(s.data ?? {}).map((key) => `${s.metadata.name}/${key}`),
      );
      for (const ref of secretRefs(objects))
        expect([...TEMPLATE_SECRET_KEYS, ...generated], ref).toContain(ref);
    });

    it("runs PostgreSQL and Redis in-cluster only in the local overlay", () => {
      const infra = objects.filter((o) => partOf(o) === "taskbeat-local");
      if (overlay !== "local") {
        expect(infra).toEqual([]);
        expect(objects.filter((o) => o.kind === "StatefulSet")).toEqual([]);
      }
    });
  });
});

describe.skipIf(!kubectl)(
  `overlay local: self-contained${kubectl ? "" : " — SKIPPED: kubectl is not on PATH"}`,
  () => {
    const objects = kubectl ? build("local") : [];
    const find = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name) as Obj;

    it.each([
      ["postgres", "postgres:17-alpine", 5432, 70],
      ["redis", "redis:7-alpine", 6379, 999],
    ] as const)(
      "runs %s as a one-replica StatefulSet with a PVC, a Service and a NetworkPolicy",
      (name, image, port, uid) => {
        const set = find("StatefulSet", name);
        expect(set, name).toBeDefined();
        expect(partOf(set)).toBe("taskbeat-local");
        expect(set.spec.replicas).toBe(1);
        expect(set.spec.serviceName).toBe(name);
        expect(set.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toEqual(["data"]);
        const pod = set.spec.template.spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: uid,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext.fsGroup).toBeGreaterThan(0);
        const [c] = pod.containers as Obj[];
        expect(c?.image).toBe(image);
        expect(c?.ports.map((p: Obj) => p.containerPort)).toEqual([port]);
        expect(c?.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(c?.readinessProbe).toBeDefined();
        expect(c?.livenessProbe).toBeDefined();
        expect(c?.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(c?.volumeMounts).toContainEqual(expect.objectContaining({ name: "data" }));

        const service = find("Service", name);
        expect(service.spec.ports.map((p: Obj) => p.port)).toEqual([port]);
        expect(set.spec.template.metadata.labels).toMatchObject(service.spec.selector);
        const policy = find("NetworkPolicy", name);
        expect(set.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
        expect(policy.spec.ingress).toEqual([
          {
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/part-of": "taskbeat" } } }],
            ports: [{ port: name, protocol: "TCP" }],
          },
        ]);
      },
    );

    it("swaps the pub/sub to Redis (same name and scopes), without a password", () => {
      const pubsub = find("Component", "pubsub");
      expect(pubsub.spec).toMatchObject({ type: "pubsub.redis", version: "v1" });
      const meta = Object.fromEntries((pubsub.spec.metadata as Obj[]).map((m) => [m.name, m]));
      expect(meta.redisHost?.value).toBe("redis:6379");
      for (const key of ["redisPassword", "consumerID", "brokers", "authType"])
        expect(meta[key], key).toBeUndefined();
      expect([...pubsub.scopes].sort()).toEqual([...PUBSUB_USERS].sort());
    });

    it("points the app and the PostgreSQL v2 state store at the in-cluster PostgreSQL", () => {
      const store = find("Component", "statestore");
      expect(store.spec).toMatchObject({ type: "state.postgresql", version: "v2" });
      const connection = (store.spec.metadata as Obj[]).find((m) => m.name === "connectionString");
      expect(connection?.secretKeyRef).toEqual({ name: "taskbeat-database", key: "url" });
      const url = new URL(decode(find("Secret", "taskbeat-database").data.url));
      expect(url.host).toBe("postgres:5432");
      expect(url.pathname).toBe("/taskbeat");
      const postgres = find("StatefulSet", "postgres").spec.template.spec.containers[0] as Obj;
      const env = Object.fromEntries((postgres.env as Obj[]).map((e) => [e.name, e]));
      expect(url.username).toBe(env.POSTGRES_USER?.value);
      const passwordRef = env.POSTGRES_PASSWORD?.valueFrom?.secretKeyRef;
      expect(decode(find("Secret", passwordRef.name).data[passwordRef.key])).toBe(
        decodeURIComponent(url.password),
      );
      for (const d of objects.filter((o) => o.kind === "Deployment")) {
        const app = d.spec.template.spec.containers[0] as Obj;
        const database = (app.env as Obj[]).find((e) => e.name === "DATABASE_URL");
        expect(database?.valueFrom?.secretKeyRef, id(d)).toEqual({ name: "taskbeat-database", key: "url" });
      }
    });
  },
);

describe.skipIf(!kubectl)(
  `overlay production: brings its own Kafka and PostgreSQL${kubectl ? "" : " — SKIPPED"}`,
  () => {
    const objects = kubectl ? build("production") : [];

    it("uses the Kafka pub/sub and declares no Secret", () => {
      const pubsub = objects.find((o) => o.kind === "Component" && o.metadata.name === "pubsub");
      expect(pubsub?.spec.type).toBe("pubsub.kafka");
      expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    });
  },
);

/** Component metadata that daprd itself reads for every pub/sub type (topic scoping), so no component documents it. */
const DAPR_PUBSUB_KEYS = new Set([
  "publishingScopes",
  "subscriptionScopes",
  "allowedTopics",
  "protectedTopics",
]);

/** The seconds the app may wait, after its drain, before closing its listener (the runtime's default delay). */
const LISTENER_DELAY_S = 5;

/** A Go duration such as "20s" or "1m30s", in seconds. */
function seconds(duration: string | undefined): number {
  const parts = [...(duration ?? "").matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  expect(parts.length, `duration ${duration}`).toBeGreaterThan(0);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

/** Groups that publish (outbox relay through their own sidecar) or subscribe. */
const PUBSUB_USERS = ["backend", "email", "notification", "recurring"];

/** `<secret>/<key>` pairs of manifests/base/secrets.template.yaml. */
const TEMPLATE_SECRET_KEYS = parseAllDocuments(
  readFileSync(path.join(root, "manifests/base/secrets.template.yaml"), "utf8"),
)
  .map((doc) => doc.toJS() as Obj)
  .flatMap((s) => Object.keys(s.stringData ?? {}).map((key) => `${s.metadata.name}/${key}`));

/** Every `<secret>/<key>` a pod (secretKeyRef, token annotations) or a Component (secretKeyRef) reads. */
function secretRefs(objects: Obj[]): string[] {
  const refs: string[] = [];
  for (const o of objects) {
    if (o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "Job") {
      const a = (o.spec.template.metadata.annotations ?? {}) as Record<string, string>;
      for (const key of ["dapr.io/api-token-secret", "dapr.io/app-token-secret"]) {
        if (a[key]) refs.push(`${a[key]}/token`);
      }
      for (const c of o.spec.template.spec.containers as Obj[]) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) refs.push(`${ref.name}/${ref.key}`);
        }
      }
    }
    if (o.kind === "Component" && o.auth?.secretStore === "kubernetes") {
      for (const m of o.spec.metadata as Obj[])
        if (m.secretKeyRef) refs.push(`${m.secretKeyRef.name}/${m.secretKeyRef.key}`);
    }
  }
  return refs;
}
