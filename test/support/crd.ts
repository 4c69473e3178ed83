/**
 * Validates a Kubernetes object against the CustomResourceDefinition that serves it, the way the API server
 * would: the CRD version is chosen from the object's `apiVersion`, the object is validated against that version's
 * `openAPIV3Schema` (ajv), and — the part a plain JSON Schema validator misses — every field the structural schema
 * does not declare is reported, because the API server silently **prunes** such fields (or rejects them under strict
 * field validation). A misplaced `spec.scopes` in a Dapr Subscription passes JSON Schema validation, is pruned, and
 * the subscription then applies to every app (dapr-contract §2.2); here it is a problem.
 *
 * Not covered: CEL rules (`x-kubernetes-validations`), list-type uniqueness, defaulting.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
};

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: Schema };
}

interface Crd {
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

/** The fields of `metadata` (ObjectMeta) that the API server keeps; it owns `metadata`, the CRD schema does not. */
const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

/** Custom resource names must be DNS-1123 subdomains. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `<root>/../shared/dapr-reference` (the pinned Dapr CRDs and component metadata), or undefined when absent. */
export function findDaprReference(root: string): string | undefined {
  const dir = path.resolve(root, "../shared/dapr-reference");
  return existsSync(path.join(dir, "crds")) ? dir : undefined;
}

/**
 * Every problem the API server would have with `object` under the CRD in `crdPath`: wrong group/kind/version,
 * schema violations, fields that would be pruned, a bad `metadata`. An empty list means it would be stored as is.
 */
export function validateAgainstCrd(object: unknown, crdPath: string): string[] {
  if (!isRecord(object)) return ["the object is not a mapping"];
  const crd = loadCrd(crdPath);
  const { group, names, versions } = crd.spec;
  const apiVersion = object.apiVersion;
  if (typeof apiVersion !== "string" || !apiVersion.includes("/")) {
    return [`apiVersion ${JSON.stringify(apiVersion)} must be "${group}/<version>"`];
  }
  const [objectGroup, versionName] = apiVersion.split("/") as [string, string];
  const problems: string[] = [];
  if (objectGroup !== group)
    problems.push(`apiVersion group "${objectGroup}" is not the CRD's group "${group}"`);
  if (object.kind !== names.kind) {
    problems.push(`kind ${JSON.stringify(object.kind)} is not the CRD's kind "${names.kind}"`);
  }
  const version = versions.find((v) => v.name === versionName);
  const servedVersions = versions.filter((v) => v.served !== false).map((v) => v.name);
  if (!version || version.served === false) {
    problems.push(`version "${versionName}" is not served by the CRD (served: ${servedVersions.join(", ")})`);
    return problems;
  }
  const schema = version.schema?.openAPIV3Schema;
  if (!schema) return [...problems, `the CRD has no openAPIV3Schema for version "${versionName}"`];

  const validate = compile(crdPath, versionName, schema);
  if (!validate(object)) problems.push(...(validate.errors ?? []).map(formatAjvError));
  problems.push(...prunedFields(object, schema, ""));
  problems.push(...checkObjectMeta(object.metadata));
  return problems;
}

// --- Pruning -----------------------------------------------------------------------------------------------

/** Fields the structural schema does not declare, i.e. what the API server would drop. */
function prunedFields(value: unknown, schema: Schema, at: string): string[] {
  const problems: string[] = [];
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return problems;
    for (const [i, item] of value.entries()) problems.push(...prunedFields(item, items, `${at}[${i}]`));
    return problems;
  }
  if (!isRecord(value)) return problems;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = schema["x-kubernetes-embedded-resource"] === true;
  for (const [key, child] of Object.entries(value)) {
    const where = at === "" ? key : `${at}.${key}`;
    const declared = schema.properties?.[key];
    if (declared) {
      // The root `metadata` (and an embedded resource's) is ObjectMeta, handled by checkObjectMeta.
      if (!(key === "metadata" && (at === "" || embedded)))
        problems.push(...prunedFields(child, declared, where));
    } else if (typeof schema.additionalProperties === "object") {
      problems.push(...prunedFields(child, schema.additionalProperties, where));
    } else {
      // Kept as is: anything under preserve-unknown-fields, and an embedded resource's type meta and ObjectMeta.
      const kept =
        schema.additionalProperties === true ||
        preserve ||
        (embedded && (key === "apiVersion" || key === "kind" || key === "metadata"));
      if (kept) continue;
      problems.push(
        `${where}: not in the CRD schema${at === "" ? "" : ` (${at} allows: ${allowed(schema)})`}; ` +
          "the API server would prune it (or reject it under strict field validation)",
      );
    }
  }
  return problems;
}

function allowed(schema: Schema): string {
  const keys = Object.keys(schema.properties ?? {});
  return keys.length > 0 ? keys.join(", ") : "nothing";
}

function checkObjectMeta(metadata: unknown): string[] {
  if (metadata === undefined) return ["metadata: missing (metadata.name is required)"];
  if (!isRecord(metadata)) return ["metadata: must be a mapping"];
  const problems: string[] = [];
  for (const key of Object.keys(metadata)) {
    if (!OBJECT_META_FIELDS.has(key))
      problems.push(`metadata.${key}: not a field of ObjectMeta; it would be dropped`);
  }
  const { name, labels, annotations } = metadata;
  if (typeof name !== "string" && metadata.generateName === undefined) {
    problems.push("metadata.name: required");
  } else if (typeof name === "string" && (name.length > 253 || !DNS_1123_SUBDOMAIN.test(name))) {
    problems.push(
      `metadata.name: "${name}" is not a DNS-1123 subdomain (lower-case a-z, 0-9, "-" and ".", ≤ 253)`,
    );
  }
  for (const [field, map] of [
    ["labels", labels],
    ["annotations", annotations],
  ] as const) {
    if (map === undefined) continue;
    if (!isRecord(map)) {
      problems.push(`metadata.${field}: must be a mapping of strings`);
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== "string") problems.push(`metadata.${field}.${key}: must be a string`);
    }
  }
  return problems;
}

// --- Loading and compiling ---------------------------------------------------------------------------------

const crds = new Map<string, Crd>();
const validators = new Map<string, ValidateFunction>();

function loadCrd(crdPath: string): Crd {
  const cached = crds.get(crdPath);
  if (cached) return cached;
  const documents = parseAllDocuments(readFileSync(crdPath, "utf8"));
  const crd = [...documents]
    .map((d) => d.toJS() as unknown)
    .find((d): d is Crd => isRecord(d) && d.kind === "CustomResourceDefinition");
  if (!crd) throw new Error(`${crdPath}: no CustomResourceDefinition`);
  crds.set(crdPath, crd);
  return crd;
}

const INT32 = 2 ** 31;

function compile(crdPath: string, version: string, schema: Schema): ValidateFunction {
  const key = `${crdPath}\0${version}`;
  const cached = validators.get(key);
  if (cached) return cached;
  // strict: false lets ajv skip the Kubernetes extensions (x-kubernetes-*); the formats Kubernetes uses are
  // checked for real where it matters (int32 overflow would fail to decode into a Go int32).
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  ajv.addFormat("int32", {
    type: "number",
    validate: (n) => Number.isInteger(n) && n >= -INT32 && n < INT32,
  });
  ajv.addFormat("int64", { type: "number", validate: (n) => Number.isSafeInteger(n) });
  for (const format of ["float", "double"]) ajv.addFormat(format, { type: "number", validate: () => true });
  ajv.addFormat("date-time", (s) => !Number.isNaN(Date.parse(s)));
  ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);
  const validate = ajv.compile(schema);
  validators.set(key, validate);
  return validate;
}

function formatAjvError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(root)" : error.instancePath.slice(1).replaceAll("/", ".");
  const extra = error.keyword === "required" ? "" : ` (${JSON.stringify(error.params)})`;
  return `${where}: ${error.message ?? error.keyword}${extra}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
