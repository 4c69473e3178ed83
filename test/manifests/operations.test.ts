/**
 * What running taskbeat in production needs from the rendered overlays, beyond schema validity: deploys that drop
 * nothing (in kustomize.test.ts), a database connection budget that adds up, migrations as a pre-deploy Job, Pod
 * Security "restricted", least-privilege Dapr (API allowlist, no invocation, no secrets, per-app topic scopes) and
 * the backend's Ingress.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { daprReference, kubectl, missingInCI, root } from "./prerequisites.js";

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML; the assertions are the type checks
type Obj = Record<string, any>;

const groups = readdirSync(path.join(root, "functions"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_"))
  .map((entry) => entry.name)
  .sort();

function build(overlay: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", path.join(root, "manifests/overlays", overlay)], {
    encoding: "utf8",
  });
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((doc): doc is Obj => doc !== null);
}

const id = (o: Obj) => `${o.kind}/${o.metadata?.name}`;
const find = (objects: Obj[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as Obj;
const envOf = (container: Obj) =>
  Object.fromEntries(((container.env ?? []) as Obj[]).map((e) => [e.name as string, e]));
const podTemplates = (objects: Obj[]) =>
  objects
    .filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind))
    .map((o) => ({ owner: o, pod: o.spec.template as Obj }));

it("has its prerequisites (CI fails without them; elsewhere the tests say what they skipped)", () => {
  expect(missingInCI(kubectl, daprReference)).toEqual([]);
});

/**
 * The database budget of docs/operations.md ("Database connections"): PostgreSQL's max_connections minus what
 * taskbeat must leave free (superuser_reserved_connections, operators, backups, monitoring).
 */
const MAX_CONNECTIONS = 100;
const RESERVED_CONNECTIONS = 15;
/** The runtime's DATABASE_POOL_MAX default (runtime/config.ts) when neither the Deployment nor the ConfigMap sets it. */
const RUNTIME_POOL_DEFAULT = 10;

describe.skipIf(kubectl.skip)(`overlay production: operations${kubectl.note}`, () => {
  const objects = kubectl.skip ? [] : build("production");
  const config = () => find(objects, "ConfigMap", "taskbeat-config").data as Record<string, string>;

  it("keeps every pod's worst-case database connections under max_connections, as documented", () => {
    const poolOf = (container: Obj) =>
      Number(envOf(container).DATABASE_POOL_MAX?.value ?? config().DATABASE_POOL_MAX ?? RUNTIME_POOL_DEFAULT);
    const store = find(objects, "Component", "statestore");
    const storeConnections = Number(
      (store.spec.metadata as Obj[]).find((m) => m.name === "maxConns")?.value ?? RUNTIME_POOL_DEFAULT,
    );
    const lines: string[] = [];
    let total = 0;
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const hpa = objects.find(
        (o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === d.metadata.name,
      );
      const most = hpa ? hpa.spec.maxReplicas : d.spec.replicas;
      expect(most, `${id(d)}: no replica count and no HPA`).toBeGreaterThan(0);
      // A rollout adds maxSurge pods on top (maxUnavailable 0), each with a full pool.
      const pods = most + Number(d.spec.strategy.rollingUpdate.maxSurge);
      const [app] = d.spec.template.spec.containers as Obj[];
      let perPod = poolOf(app as Obj);
      // daprd's PostgreSQL state store opens its own pool, in the pods its Component is scoped to.
      if ((store.scopes as string[]).includes(d.spec.template.metadata.annotations["dapr.io/app-id"]))
        perPod += storeConnections;
      lines.push(`${d.metadata.name}: ${pods} pods × ${perPod}`);
      total += pods * perPod;
    }
    const job = find(objects, "Job", "taskbeat-migrate");
    total += poolOf(job.spec.template.spec.containers[0]);
    expect(total, lines.join("; ")).toBeLessThanOrEqual(MAX_CONNECTIONS - RESERVED_CONNECTIONS);
    // The numbers the test uses are the ones operators read.
    const docs = readFileSync(path.join(root, "docs/operations.md"), "utf8");
    for (const phrase of [`max_connections = ${MAX_CONNECTIONS}`, `${RESERVED_CONNECTIONS} kept free`])
      expect(docs.includes(phrase), `docs/operations.md says "${phrase}"`).toBe(true);
  });

  it("reads as large a request body as daprd accepts, on every Dapr-enabled Deployment", () => {
    const mib = 1024 * 1024;
    const appLimit = Number(config().APP_MAX_REQUEST_BODY_BYTES);
    expect(appLimit).toBeGreaterThan(0);
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const annotations = d.spec.template.metadata.annotations ?? {};
      if (annotations["dapr.io/enabled"] !== "true") continue;
      const [app] = d.spec.template.spec.containers as Obj[];
      const own = envOf(app as Obj).APP_MAX_REQUEST_BODY_BYTES?.value;
      expect(Number(annotations["dapr.io/http-max-request-size"]) * mib, id(d)).toBe(Number(own ?? appLimit));
    }
  });

  it("routes only the MCP and OAuth paths to the backend, over TLS, on the PUBLIC_URL host", () => {
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    expect(ingresses.map(id)).toEqual(["Ingress/taskbeat-backend"]);
    const [ingress] = ingresses as [Obj];
    const publicUrl = new URL(config().PUBLIC_URL as string);
    expect(publicUrl.protocol).toBe("https:");
    const hosts = (ingress.spec.rules as Obj[]).map((r) => r.host);
    expect(hosts).toEqual([publicUrl.hostname]);
    expect(ingress.spec.tls).toEqual([{ hosts: [publicUrl.hostname], secretName: expect.any(String) }]);
    expect(config().MCP_ALLOWED_HOSTS?.split(",")).toContain(publicUrl.hostname);
    const paths = (ingress.spec.rules as Obj[]).flatMap((r) => r.http.paths as Obj[]);
    expect(paths.map((p) => p.path)).toContain("/mcp");
    for (const p of paths) {
      expect(p.backend.service).toEqual({ name: "taskbeat-backend", port: { name: "http" } });
      // Never the whole app: the Dapr-facing routes and /metrics stay inside the cluster.
      expect(["/", "/metrics", "/healthz", "/readyz", "/dapr", "/events", "/job", "/jobs"]).not.toContain(
        p.path,
      );
    }
    expect(ingress.metadata.annotations?.["cert-manager.io/cluster-issuer"]).toBeTruthy();
  });
});

describe.skipIf(kubectl.skip)(
  `every overlay: migrations, Pod Security, least privilege${kubectl.note}`,
  () => {
    const overlays = kubectl.skip ? [] : ["local", "production"];

    describe.each(overlays)("overlay %s", (overlay) => {
      const objects = build(overlay);
      const deployments = objects.filter((o) => o.kind === "Deployment");
      const config = find(objects, "ConfigMap", "taskbeat-config").data as Record<string, string>;

      it("migrates in a pre-deploy Job without a sidecar; the app pods do not migrate", () => {
        const jobs = objects.filter((o) => o.kind === "Job");
        expect(jobs.map(id)).toEqual(["Job/taskbeat-migrate"]);
        const job = jobs[0] as Obj;
        expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
        expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
        expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
        const pod = job.spec.template;
        expect(pod.metadata.annotations?.["dapr.io/enabled"] ?? "false").toBe("false");
        expect(pod.spec.restartPolicy).toBe("Never");
        const [migrate] = pod.spec.containers as Obj[];
        expect(migrate?.command).toEqual(["taskbeat"]);
        expect(migrate?.args).toEqual(["migrate"]);
        // The same image, configuration and database Secret as the app.
        const [app] = (deployments[0] as Obj).spec.template.spec.containers as Obj[];
        expect(migrate?.image).toBe(app?.image);
        expect(migrate?.envFrom).toEqual(app?.envFrom);
        expect(envOf(migrate as Obj).DATABASE_URL).toEqual(envOf(app as Obj).DATABASE_URL);
        expect(config.MIGRATE_ON_START).toBe("false");
        for (const d of deployments)
          expect(envOf(d.spec.template.spec.containers[0]).MIGRATE_ON_START).toBeUndefined();
      });

      it("labels the namespace Pod Security restricted, and every pod template complies", () => {
        const ns = find(objects, "Namespace", "taskbeat");
        for (const mode of ["enforce", "audit", "warn"])
          expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], mode).toBe("restricted");
        for (const { owner, pod } of podTemplates(objects)) {
          const where = id(owner);
          expect(pod.spec.securityContext?.runAsNonRoot, where).toBe(true);
          expect(pod.spec.securityContext?.seccompProfile?.type, where).toBe("RuntimeDefault");
          expect(pod.spec.hostNetwork ?? false, where).toBe(false);
          expect(pod.spec.automountServiceAccountToken, where).toBe(false);
          for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers] as Obj[]) {
            expect(c.securityContext?.allowPrivilegeEscalation, `${where} ${c.name}`).toBe(false);
            expect(c.securityContext?.capabilities?.drop, `${where} ${c.name}`).toEqual(["ALL"]);
            expect(c.securityContext?.capabilities?.add, `${where} ${c.name}`).toBeUndefined();
            expect(c.securityContext?.readOnlyRootFilesystem, `${where} ${c.name}`).toBe(true);
            expect(c.securityContext?.privileged ?? false, `${where} ${c.name}`).toBe(false);
          }
          for (const v of (pod.spec.volumes ?? []) as Obj[])
            expect(v.hostPath, `${where} ${v.name}`).toBeUndefined();
          // daprd complies only with dapr.io/sidecar-seccomp-profile-type (and the injector dropping capabilities).
          if (pod.metadata.annotations?.["dapr.io/enabled"] === "true")
            expect(pod.metadata.annotations["dapr.io/sidecar-seccomp-profile-type"], where).toBe(
              "RuntimeDefault",
            );
        }
      });

      it("lets daprd serve only the APIs the app calls, with no service invocation and no secrets API", () => {
        const configuration = find(objects, "Configuration", "taskbeat");
        const allowed = (configuration.spec.api.allowed as Obj[]).map(
          (r) => `${r.protocol} ${r.version}/${r.name}`,
        );
        // runtime/dapr/*.ts: publish and bulk publish, jobs, state (notification), health; metadata for operators.
        // Stable paths only (the deprecated v1.0-alpha1 ones are not routed). daprd matches "<version>/<name>" as
        // a prefix of the route, so these are the paths the app calls.
        const used = new Set([
          "http v1.0/publish",
          "http v1.0/jobs",
          "http v1.0/state",
          "http v1.0/metadata",
          "http v1.0/healthz",
          "grpc v1/PublishEvent",
        ]);
        for (const rule of allowed) expect(used, rule).toContain(rule);
        for (const needed of ["http v1.0/publish", "http v1.0/jobs", "http v1.0/state"])
          expect(allowed).toContain(needed);
        // Every path runtime/dapr/ calls (other than health, always served) is covered by one of them.
        const calls = readdirSync(path.join(root, "runtime/dapr"))
          .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
          .flatMap((name) => [
            // Code only: a comment may name a path the client does not call (the deprecated alpha ones).
            ...readFileSync(path.join(root, "runtime/dapr", name), "utf8")
              .split("\n")
              .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
              .join("\n")
              .matchAll(/[`"]\/(v1\.0[^/]*\/[a-z]+)/g),
          ])
          .map(([, prefix]) => prefix as string)
          .filter((prefix) => !prefix.endsWith("/healthz") && prefix !== "v1.0/secrets");
        expect(calls.length).toBeGreaterThan(0);
        for (const call of calls) expect(allowed, call).toContain(`http ${call}`);
        // The secrets client (runtime/dapr/secrets.ts) has no caller in the app, so its API stays closed; a
        // caller would need an allowlist entry and a secrets scope.
        expect(callersOf(/\.secrets\.get\(/)).toEqual([]);
        // An empty list for a protocol allows all of it: both must be non-empty.
        expect(allowed.some((r) => r.startsWith("grpc "))).toBe(true);
        expect(configuration.spec.api.denied).toBeUndefined();
        expect(configuration.spec.accessControl).toMatchObject({ defaultAction: "deny" });
        expect(configuration.spec.accessControl.policies ?? []).toEqual([]);
        expect(configuration.spec.secrets.scopes).toEqual([
          { storeName: "kubernetes", defaultAccess: "deny" },
        ]);
      });

      it("scopes each app-id's pub/sub topics to what it publishes (its relay, its dead letters) and subscribes to", () => {
        const pubsub = find(objects, "Component", "pubsub");
        const meta = Object.fromEntries(
          (pubsub.spec.metadata as Obj[]).map((m) => [m.name, m.value as string]),
        );
        const publishing = topicScopes(meta.publishingScopes);
        const subscribing = topicScopes(meta.subscriptionScopes);
        // Every app-id that loads the component is listed: one left out could use every topic.
        expect([...publishing.keys()].sort()).toEqual([...pubsub.scopes].sort());
        expect([...subscribing.keys()].sort()).toEqual([...pubsub.scopes].sort());
        for (const group of groups) {
          const d = deployments.find(
            (x) => x.spec.template.metadata.annotations["dapr.io/app-id"] === group,
          ) as Obj;
          const relay = envOf(d.spec.template.spec.containers[0]).OUTBOX_RELAY_TOPICS?.value as
            | string
            | undefined;
          expect(relay, `${group} OUTBOX_RELAY_TOPICS`).toBeDefined();
          const relayed = (relay as string).split(",").filter(Boolean);
          const mine = subscriptions.filter((s) => (s.scopes as string[]).includes(group));
          const deadLetters = mine.map((s) => s.spec.deadLetterTopic as string).filter(Boolean);
          // Publish: the relay's topics plus the dead-letter topics daprd publishes to for this app's subscriptions.
          expect([...(publishing.get(group) ?? [])].sort(), `${group} publishingScopes`).toEqual(
            [...new Set([...relayed, ...deadLetters])].sort(),
          );
          // Subscribe: every subscription of the group (subscriptions/ is generated from functions/), plus, for
          // the backend, the dead-letter topics it keeps (docs/operations.md, "Dead letters").
          const topics = mine.map((s) => s.spec.topic as string);
          for (const topic of topics)
            expect(subscribing.get(group), `${group} may subscribe`).toContain(topic);
          for (const topic of subscribing.get(group) ?? [])
            expect(
              topics.includes(topic) || (group === "backend" && topic.endsWith("-dlq")),
              `${group} subscribes to ${topic}`,
            ).toBe(true);
        }
        // Every dead-letter topic some subscription uses is kept by the backend.
        for (const s of subscriptions)
          if (s.spec.deadLetterTopic) expect(subscribing.get("backend")).toContain(s.spec.deadLetterTopic);
        if (pubsub.spec.type === "pubsub.kafka") {
          // Brokers see which app-id a connection belongs to (quotas, ACL audit); daprd substitutes {appID}.
          expect(meta.clientID).toBe("{appID}");
        }
      });
    });
  },
);

/** Non-test source files outside runtime/dapr and runtime/dev-sidecar (the client and the local sidecar) matching `pattern`. */
function callersOf(pattern: RegExp): string[] {
  return ["runtime", "functions"].flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      .filter((file) => !file.startsWith("runtime/dapr/") && !file.startsWith("runtime/dev-sidecar/"))
      .filter((file) => pattern.test(readFileSync(path.join(root, file), "utf8"))),
  );
}

/** The generated Subscription manifests (one per topic handler in functions/). */
const subscriptions = readdirSync(path.join(root, "subscriptions"))
  .filter((name) => name.endsWith(".yaml"))
  .flatMap((name) =>
    parseAllDocuments(readFileSync(path.join(root, "subscriptions", name), "utf8")).map(
      (doc) => doc.toJS() as Obj,
    ),
  );

/**
 * `app1=t1,t2;app2=` as daprd parses it (pkg/scopes GetScopedTopics): it stops at the first entry without "=" and
 * matches app-ids and topics verbatim, so the value must have no spaces, empty entries or trailing ";".
 */
function topicScopes(value: string | undefined): Map<string, string[]> {
  expect(value, "topic scopes").toMatch(/^[a-z0-9-]+=[a-z0-9,-]*(;[a-z0-9-]+=[a-z0-9,-]*)*$/);
  const scopes = new Map<string, string[]>();
  for (const entry of (value as string).split(";")) {
    const [app, topics] = entry.split("=") as [string, string];
    expect(scopes.has(app), `${app} listed twice`).toBe(false);
    const list = topics.split(",");
    for (const topic of list.filter((t) => t !== "")) expect(topic, entry).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    // "app=" is [""] to daprd: allowed nothing. Keep it as an empty list here.
    scopes.set(
      app,
      list.filter((t) => t !== ""),
    );
  }
  return scopes;
}
