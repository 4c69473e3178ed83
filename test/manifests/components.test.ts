/**
 * The Dapr resources as committed (components/, subscriptions/), the multi-app run file dapr.yaml, the Secret
 * template, and a scan for committed secret values. Runs without kubectl; the CRD and component-metadata checks
 * need ../shared/dapr-reference.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { validateAgainstCrd } from "../support/crd.js";
import {
  daprReferenceDir,
  missingInCI,
  daprReference as referencePrerequisite,
  root,
} from "./prerequisites.js";

const daprReference = daprReferenceDir;
const groups = readdirSync(path.join(root, "functions"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_"))
  .map((entry) => entry.name)
  .sort();

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML; the assertions are the type checks
type Obj = Record<string, any>;
interface Loaded {
  file: string;
  object: Obj;
}

const CRD_FILES: Record<string, string> = {
  Component: "components.yaml",
  Configuration: "configuration.yaml",
  Resiliency: "resiliency.yaml",
  Subscription: "subscription.yaml",
};

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir))
    .filter((name) => name.endsWith(".yaml") && name !== "kustomization.yaml")
    .sort()
    .map((name) => path.join(dir, name));
}

function load(files: string[]): Loaded[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(root, file), "utf8"))
      .map((doc) => doc.toJS() as Obj | null)
      .filter((object): object is Obj => object !== null)
      .map((object) => ({ file, object })),
  );
}

const variants = {
  kubernetes: load(yamlFiles("components/kubernetes")),
  local: load(yamlFiles("components/local")),
};
const subscriptions = load(yamlFiles("subscriptions"));
const all = [...variants.kubernetes, ...variants.local, ...subscriptions];
const where = ({ file, object }: Loaded) => `${file} ${object.kind}/${object.metadata?.name}`;

it("has ../shared/dapr-reference in CI (elsewhere its checks are skipped, saying so)", () => {
  expect(missingInCI(referencePrerequisite)).toEqual([]);
});

/** Component metadata that daprd itself reads for every pub/sub type (topic scoping), so no component documents it. */
const DAPR_PUBSUB_KEYS = new Set([
  "publishingScopes",
  "subscriptionScopes",
  "allowedTopics",
  "protectedTopics",
]);

describe.skipIf(referencePrerequisite.skip)(
  `Dapr resources against the pinned reference${referencePrerequisite.note}`,
  () => {
    it("validate against the CRDs", () => {
      const problems: string[] = [];
      for (const loaded of all) {
        const file = CRD_FILES[loaded.object.kind];
        if (!file) problems.push(`${where(loaded)}: not a Dapr kind this project uses`);
        else {
          const crd = path.join(daprReference as string, "crds", file);
          problems.push(...validateAgainstCrd(loaded.object, crd).map((p) => `${where(loaded)}: ${p}`));
        }
      }
      expect(problems).toEqual([]);
    });

    it("use only metadata keys that their component type documents", () => {
      const problems: string[] = [];
      for (const loaded of all.filter((l) => l.object.kind === "Component")) {
        const { type, version, metadata } = loaded.object.spec as {
          type: string;
          version: string;
          metadata: Obj[];
        };
        const keys = metadata
          .map((m) => m.name as string)
          .filter((key) => !(type.startsWith("pubsub.") && DAPR_PUBSUB_KEYS.has(key)));
        const candidates = [`${type}.${version}.metadata.yaml`, `${type}.metadata.yaml`];
        const file = candidates
          .map((c) => path.join(daprReference as string, "components", c))
          .find(existsSync);
        if (!file) {
          // No reference for this type (e.g. secretstores.local.env): only a Component without metadata passes.
          if (keys.length > 0)
            problems.push(`${where(loaded)}: no reference metadata for ${type}, cannot check ${keys}`);
          continue;
        }
        const reference = parse(readFileSync(file, "utf8")) as Obj;
        const known = new Set<string>(
          [
            ...(reference.metadata ?? []),
            ...(reference.authenticationProfiles ?? []).flatMap((p: Obj) => p.metadata ?? []),
            ...(reference.builtinAuthenticationProfiles ?? []).flatMap((p: Obj) => p.metadata ?? []),
          ].map((m: Obj) => m.name),
        );
        for (const key of keys) {
          if (!known.has(key)) problems.push(`${where(loaded)}: "${key}" is not a ${type} ${version} field`);
        }
      }
      expect(problems).toEqual([]);
    });
  },
);

describe("components/", () => {
  it.each(Object.entries(variants))(
    "%s: pubsub, statestore, Resiliency; no scheduler Component",
    (_, loaded) => {
      const components = loaded.filter((l) => l.object.kind === "Component").map((l) => l.object);
      const names = components.map((c) => c.metadata.name);
      expect(names).toContain("pubsub");
      expect(names).toContain("statestore");
      for (const c of components) {
        expect(c.spec.type, c.metadata.name).toMatch(
          /^(bindings|configuration|crypto|lock|middleware|pubsub|secretstores|state|conversation)\./,
        );
        expect(c.metadata.namespace, `${c.metadata.name}: the overlay sets the namespace`).toBeUndefined();
      }
      expect(loaded.filter((l) => l.object.kind === "Resiliency")).toHaveLength(1);
      expect(loaded.filter((l) => l.object.kind === "Configuration")).toHaveLength(1);
    },
  );

  it.each(Object.entries(variants))(
    "%s: every scope is a function group; pubsub is scoped to all users",
    (_, loaded) => {
      for (const l of loaded.filter((x) => x.object.kind !== "Configuration")) {
        expect(l.object.scopes, where(l)).toBeInstanceOf(Array);
        for (const scope of l.object.scopes as string[])
          expect(groups, `${where(l)} scope ${scope}`).toContain(scope);
      }
      const pubsub = loaded.find((l) => l.object.metadata.name === "pubsub")?.object;
      // backend, notification and recurring publish (outbox relay, each through its own sidecar); email and
      // recurring subscribe.
      expect([...(pubsub?.scopes ?? [])].sort()).toEqual(["backend", "email", "notification", "recurring"]);
      const statestore = loaded.find((l) => l.object.metadata.name === "statestore")?.object;
      expect(statestore?.scopes).toEqual(["notification"]);
    },
  );

  it("Kafka: contract §9(e) — password auth, SCRAM SHA-256, no consumer group, no invented fields", () => {
    const pubsub = variants.kubernetes.find((l) => l.object.metadata.name === "pubsub")?.object as Obj;
    const meta = Object.fromEntries((pubsub.spec.metadata as Obj[]).map((m) => [m.name, m]));
    expect(pubsub.spec.type).toBe("pubsub.kafka");
    expect(meta.authType?.value).toBe("password");
    expect(meta.saslMechanism?.value).toBe("SHA-256");
    for (const key of ["brokers", "saslUsername", "saslPassword"])
      expect(meta[key]?.secretKeyRef, key).toBeDefined();
    for (const key of ["consumerID", "consumerGroup", "enableTLS", "disableTls"])
      expect(meta[key], key).toBeUndefined();
    expect(pubsub.auth).toEqual({ secretStore: "kubernetes" });
  });

  it("state store: PostgreSQL v2 with tablePrefix, connection string from a secret", () => {
    for (const loaded of Object.values(variants)) {
      const store = loaded.find((l) => l.object.metadata.name === "statestore")?.object as Obj;
      const meta = Object.fromEntries((store.spec.metadata as Obj[]).map((m) => [m.name, m]));
      expect(store.spec).toMatchObject({ type: "state.postgresql", version: "v2" });
      expect(meta.tablePrefix?.value).toBeTruthy();
      expect(meta.tableName).toBeUndefined();
      expect(meta.connectionString?.secretKeyRef).toBeDefined();
      expect(store.auth?.secretStore).toBeTruthy();
    }
  });

  it("Resiliency: exponential inbound pub/sub retry with a cap (5 attempts, ≤ 2 s), outbound retry and breaker", () => {
    const [k8s, local] = [variants.kubernetes, variants.local].map(
      (loaded) => loaded.find((l) => l.object.kind === "Resiliency")?.object as Obj,
    );
    expect(local).toEqual(k8s);
    const { policies, targets } = (k8s as Obj).spec as Obj;
    const inbound = targets.components.pubsub.inbound;
    expect(policies.retries[inbound.retry]).toEqual({
      policy: "exponential",
      maxInterval: "2s",
      maxRetries: 4,
    });
    const outbound = targets.components.pubsub.outbound;
    expect(policies.retries[outbound.retry]).toBeDefined();
    expect(policies.circuitBreakers[outbound.circuitBreaker]).toBeDefined();
    // One publish call, retries included, fits the app's per-call budget (DAPR_TIMEOUT_MS, 5 s).
    const ms = (d: string) => (d.endsWith("ms") ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000);
    const retry = policies.retries[outbound.retry];
    const worst =
      (retry.maxRetries + 1) * ms(policies.timeouts[outbound.timeout]) +
      retry.maxRetries * ms(retry.duration);
    expect(worst).toBeLessThan(5000);
  });
});

describe("subscriptions/", () => {
  it("name a pubsub that exists and are scoped to groups in its scopes", () => {
    for (const loaded of subscriptions) {
      const { object } = loaded;
      expect(object.kind).toBe("Subscription");
      for (const variant of Object.values(variants)) {
        const pubsub = variant.find(
          (l) => l.object.kind === "Component" && l.object.metadata.name === object.spec.pubsubname,
        );
        expect(pubsub, where(loaded)).toBeDefined();
        for (const scope of object.scopes as string[]) {
          expect(groups).toContain(scope);
          expect(pubsub?.object.scopes, where(loaded)).toContain(scope);
        }
      }
    }
  });
});

describe("dapr.yaml (dapr run -f .)", () => {
  const run = parse(readFileSync(path.join(root, "dapr.yaml"), "utf8")) as Obj;

  it("runs every group with app-id = group and app port = PORT", () => {
    expect(run.apps.map((a: Obj) => a.appID).sort()).toEqual(groups);
    for (const app of run.apps as Obj[]) {
      expect(app.command).toEqual(["node", "bin/taskbeat.mjs", "serve", "--group", app.appID]);
      expect(app.env.PORT).toBe(String(app.appPort));
      expect(app.env.DAPR_HTTP_PORT).toBe(String(app.daprHTTPPort));
    }
    for (const key of ["appPort", "daprHTTPPort", "metricsPort"]) {
      const ports = run.apps.map((a: Obj) => a[key]);
      expect(new Set(ports).size, key).toBe(ports.length);
    }
  });

  it("points at the local components and configuration", () => {
    expect(existsSync(path.join(root, run.common.resourcesPath))).toBe(true);
    expect(existsSync(path.join(root, run.common.configFilePath))).toBe(true);
    expect(path.normalize(run.common.resourcesPath)).toBe("components/local");
  });
});

describe("no secret value is committed", () => {
  const files = [
    "Dockerfile",
    "dapr.yaml",
    ...["manifests/base", "manifests/overlays/local", "manifests/overlays/production"].flatMap((d) =>
      readdirSync(path.join(root, d)).map((n) => path.join(d, n)),
    ),
    ...yamlFiles("components/kubernetes"),
    ...yamlFiles("components/local"),
    ...yamlFiles("subscriptions"),
  ];
  const SECRET_NAME = /pass(word)?|secret|token|connectionstring|database_url|smtp_url|apikey|credential/i;
  // The one exception: overlays/local generates throwaway credentials for its in-cluster PostgreSQL
  // (secretGenerator in its kustomization.yaml); they must say "local-only" and may appear nowhere else.
  const LOCAL_ONLY_DIR = "manifests/overlays/local/";
  const LOCAL_ONLY = /^local-only(-[a-z0-9-]+)?$/;

  it("local-only credentials stay in overlays/local and look throwaway", () => {
    const uses = files.filter((file) => readFileSync(path.join(root, file), "utf8").includes("local-only-"));
    expect(uses.length).toBeGreaterThan(0);
    for (const file of uses) expect(file.startsWith(LOCAL_ONLY_DIR), file).toBe(true);
    const kustomization = parse(
      readFileSync(path.join(root, LOCAL_ONLY_DIR, "kustomization.yaml"), "utf8"),
    ) as Obj;
    for (const generator of kustomization.secretGenerator ?? []) {
      expect(generator.envs ?? generator.files, generator.name).toBeUndefined();
      for (const literal of generator.literals as string[])
        expect(literal, generator.name).toMatch(/local-only-/);
    }
  });

  it("the Secret template has keys but only empty values", () => {
    const secrets = load(["manifests/base/secrets.template.yaml"]).map((l) => l.object);
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(s.kind).toBe("Secret");
      expect(s.data, s.metadata.name).toBeUndefined();
      for (const [key, value] of Object.entries(s.stringData ?? {}))
        expect(value, `${s.metadata.name}/${key}`).toBe("");
    }
  });

  it("no URL with credentials, no literal value for a secret-looking name", () => {
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(root, file), "utf8");
      for (const [n, line] of text.split("\n").entries()) {
        if (line.trimStart().startsWith("#")) continue;
        const password = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:([^\s/@]+)@/i.exec(line)?.[1];
        if (password !== undefined && !(file.startsWith(LOCAL_ONLY_DIR) && LOCAL_ONLY.test(password)))
          problems.push(`${file}:${n + 1}: credentials in a URL`);
      }
      if (!file.endsWith(".yaml")) continue;
      for (const { object } of load([file])) {
        for (const pair of namedValues(object)) {
          if (SECRET_NAME.test(pair.name) && pair.value !== undefined && pair.value !== "") {
            problems.push(`${file}: ${pair.name} has a literal value; use a secretKeyRef`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/** Every `{name, value}` pair anywhere in an object: env entries and Component metadata. */
function namedValues(value: unknown): { name: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap(namedValues);
  if (typeof value !== "object" || value === null) return [];
  const record = value as Obj;
  const own =
    typeof record.name === "string" && "value" in record ? [{ name: record.name, value: record.value }] : [];
  return [...own, ...Object.values(record).flatMap(namedValues)];
}
