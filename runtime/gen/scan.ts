/**
 * Finds the units in `functions/` and checks them against the conventions.
 *
 * A unit file is `functions/<group>/<name>.<kind>.ts`, kind `topic` (defineSubscription), `job` (defineJob) or
 * `tool` (defineTool). Anything else is not a unit and is ignored: `*.test.ts`, helper modules, and every file or
 * folder whose name starts with `_` or `.` (e.g. `functions/backend/_shared.ts`, `functions/_lib/`).
 *
 * Files are visited in code-point order of their path, never directory order or locale order, so the generated
 * output is the same on every machine.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { JobDefinition, SubscriptionDefinition, ToolDefinition } from "../define.js";
import { isUnit } from "../define.js";
import { subscriptionRoute } from "../registry.js";
import { GeneratorError } from "./errors.js";

export type UnitFileKind = "topic" | "job" | "tool";

interface ScannedBase {
  /** The function group: the folder under `functions/`, a Dapr app-id. */
  group: string;
  /** The file name without `.<kind>.ts`. */
  name: string;
  /** The file's path from the project root, with `/` separators: `functions/<group>/<name>.<kind>.ts`. */
  file: string;
}

export type ScannedUnit =
  | (ScannedBase & { kind: "subscription"; route: string; unit: SubscriptionDefinition })
  | (ScannedBase & { kind: "job"; unit: JobDefinition })
  | (ScannedBase & { kind: "tool"; unit: ToolDefinition });

/** A unit file and what importing it produced. */
export interface LoadedModule {
  /** Path relative to `functions/`, `/`-separated: `<group>/<name>.<kind>.ts`. */
  path: string;
  /** The module namespace object (its `default` export is the unit). */
  module: unknown;
}

/** Matches a unit file name and captures its kind. */
export const UNIT_FILE = /\.(topic|job|tool)\.ts$/;

/** Topic and job names: lower-case words joined by single `-` (as `jobs/<name>.json` names are). */
export const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** MCP tool names: lower-case words joined by single `_`. */
export const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
/**
 * Group folders: kebab-case starting with a letter. The group is the Dapr app-id, and on Kubernetes the sidecar
 * injector names a Service `<app-id>-dapr`, which must start with a letter (DNS-1035).
 */
export const GROUP_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** MCP clients (and the model APIs behind them) reject tool names longer than 64 characters. */
const MAX_TOOL_NAME = 64;
/** Kubernetes object names (DNS-1123 subdomain) are at most 253 characters. */
const MAX_OBJECT_NAME = 253;
const INT32_MAX = 2_147_483_647;

const KIND_OF_SUFFIX = { topic: "subscription", job: "job", tool: "tool" } as const;
const HELPER_OF_KIND = { subscription: "defineSubscription", job: "defineJob", tool: "defineTool" } as const;

/** Code-point order, independent of locale (unlike `localeCompare`). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The unit files under `functionsDir`, as sorted `/`-separated paths relative to it. Files at the wrong depth are
 * included (validation reports them); `_`- and `.`-prefixed entries and `node_modules` are skipped. A missing
 * directory has no units.
 */
export async function findUnitFiles(functionsDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (prefix === "" && (error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const relative = `${prefix}${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${relative}/`);
      else if (entry.isFile() && UNIT_FILE.test(entry.name)) found.push(relative);
    }
  };
  await walk(functionsDir, "");
  return found.sort(byCodePoint);
}

let importGeneration = 0;

/**
 * Imports every unit file under `functionsDir` (the generator runs under tsx, so `.ts` imports work) and
 * validates it. Throws a `GeneratorError` listing every problem, import failures included.
 *
 * Each scan imports fresh module instances (a `?gen=<n>` query), so a long-lived process (tests, a watcher) sees
 * edited files; modules the units import themselves are not re-evaluated.
 */
export async function scanFunctions(functionsDir: string): Promise<ScannedUnit[]> {
  const files = await findUnitFiles(functionsDir);
  const generation = ++importGeneration;
  const problems: string[] = [];
  const loaded: LoadedModule[] = [];
  for (const file of files) {
    const url = `${pathToFileURL(path.join(functionsDir, file)).href}?gen=${generation}`;
    try {
      loaded.push({ path: file, module: await import(url) });
    } catch (error) {
      problems.push(`functions/${file}: failed to import: ${error instanceof Error ? error.message : error}`);
    }
  }
  let units: ScannedUnit[] = [];
  try {
    units = validateUnits(loaded);
  } catch (error) {
    if (!(error instanceof GeneratorError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new GeneratorError(problems);
  return units;
}

/**
 * Checks already-imported unit modules against the conventions and returns them as scanned units, sorted by path.
 * Pure, so tests can hand it modules without touching the file system. Throws a `GeneratorError` listing every
 * problem.
 */
export function validateUnits(modules: readonly LoadedModule[]): ScannedUnit[] {
  const problems: string[] = [];
  const units: ScannedUnit[] = [];
  for (const loaded of [...modules].sort((a, b) => byCodePoint(a.path, b.path))) {
    const unit = checkModule(loaded, (message) => problems.push(`functions/${loaded.path}: ${message}`));
    if (unit) units.push(unit);
  }
  problems.push(...crossCheck(units));
  if (problems.length > 0) throw new GeneratorError(problems);
  return units;
}

function checkModule(loaded: LoadedModule, report: (message: string) => void): ScannedUnit | undefined {
  const segments = loaded.path.split("/");
  const fileName = segments.at(-1) ?? "";
  const match = UNIT_FILE.exec(fileName);
  if (!match) {
    report("not a unit file (expected <name>.topic.ts, <name>.job.ts or <name>.tool.ts)");
    return undefined;
  }
  const suffix = match[1] as UnitFileKind;
  const expectedKind = KIND_OF_SUFFIX[suffix];
  const name = fileName.slice(0, -match[0].length);
  if (segments.length !== 2) {
    report(
      "unit files must sit directly in a group folder: functions/<group>/<name>.<kind>.ts (the folder is the Dapr app-id)",
    );
    return undefined;
  }
  const group = segments[0] ?? "";
  let failures = 0;
  const fail = (message: string) => {
    failures++;
    report(message);
  };
  if (!GROUP_NAME.test(group)) {
    fail(
      `group folder "${group}" must be kebab-case starting with a letter (lower-case words joined by "-"); ` +
        "it becomes a Dapr app-id",
    );
  }
  if (suffix === "tool") {
    if (!SNAKE_CASE.test(name)) {
      fail(`tool name "${name}" must be snake_case (lower-case words joined by "_")`);
    } else if (name.length > MAX_TOOL_NAME) {
      fail(`tool name "${name}" is longer than ${MAX_TOOL_NAME} characters, which MCP clients reject`);
    }
  } else if (!KEBAB_CASE.test(name)) {
    fail(`${suffix} name "${name}" must be kebab-case (lower-case words joined by "-")`);
  }

  const exported = (loaded.module as { default?: unknown } | null)?.default;
  if (exported === undefined) {
    fail(`has no default export; export default ${HELPER_OF_KIND[expectedKind]}({ … })`);
    return undefined;
  }
  if (!isUnit(exported)) {
    fail(`default export is not a unit; export default ${HELPER_OF_KIND[expectedKind]}({ … })`);
    return undefined;
  }
  if (exported.kind !== expectedKind) {
    fail(
      `default export is a ${exported.kind} (${HELPER_OF_KIND[exported.kind]}) but the ".${suffix}.ts" suffix needs ` +
        `a ${expectedKind} (${HELPER_OF_KIND[expectedKind]}); rename the file or change the helper`,
    );
    return undefined;
  }
  if (typeof exported.handle !== "function") fail("handle must be a function");

  const file = `functions/${loaded.path}`;
  switch (exported.kind) {
    case "subscription": {
      checkSubscription(exported, fail);
      const metadataName = `${group}-${name}`;
      if (metadataName.length > MAX_OBJECT_NAME) {
        fail(
          `"${metadataName}" (the Subscription's metadata.name) is longer than ${MAX_OBJECT_NAME} characters`,
        );
      }
      if (failures > 0) return undefined;
      return {
        kind: "subscription",
        group,
        name,
        file,
        route: subscriptionRoute(group, name),
        unit: exported,
      };
    }
    case "job":
      if (exported.name !== name) {
        fail(`job name "${String(exported.name)}" must equal the file name "${name}"`);
      }
      if (exported.schema !== undefined && !isStandardSchema(exported.schema)) {
        fail("schema must be a Standard Schema (e.g. a valibot schema)");
      }
      if (failures > 0) return undefined;
      return { kind: "job", group, name, file, unit: exported };
    case "tool":
      if (exported.name !== name) {
        fail(`tool name "${String(exported.name)}" must equal the file name "${name}"`);
      }
      if (typeof exported.description !== "string" || exported.description.trim() === "") {
        fail("description must be a non-empty string (the assistant reads it to choose the tool)");
      }
      if (!isStandardSchema(exported.input)) fail("input must be a Standard Schema (e.g. a valibot schema)");
      if (exported.output !== undefined && !isStandardSchema(exported.output)) {
        fail("output must be a Standard Schema (e.g. a valibot schema)");
      }
      if (failures > 0) return undefined;
      return { kind: "tool", group, name, file, unit: exported };
  }
}

function checkSubscription(unit: SubscriptionDefinition, fail: (message: string) => void): void {
  if (!isNonEmptyString(unit.pubsub))
    fail("pubsub must be a non-empty string (the Dapr pub/sub component name)");
  if (!isNonEmptyString(unit.topic)) fail("topic must be a non-empty string");
  if (!isStandardSchema(unit.schema)) fail("schema must be a Standard Schema (e.g. a valibot schema)");
  const deadLetter = unit.deadLetterTopic;
  if (deadLetter !== false && !isNonEmptyString(deadLetter)) {
    fail("deadLetterTopic must be a non-empty string, or false for none");
  } else if (deadLetter === unit.topic) {
    fail(
      `deadLetterTopic "${deadLetter}" must differ from the topic, or dropped messages would be redelivered`,
    );
  }
  if (unit.bulk !== undefined) {
    const { maxMessages, maxAwaitMs } = unit.bulk;
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > INT32_MAX) {
      fail(`bulk.maxMessages must be an integer from 1 to ${INT32_MAX} (got ${String(maxMessages)})`);
    }
    if (!Number.isInteger(maxAwaitMs) || maxAwaitMs < 0 || maxAwaitMs > INT32_MAX) {
      fail(`bulk.maxAwaitMs must be an integer from 0 to ${INT32_MAX} (got ${String(maxAwaitMs)})`);
    }
  }
}

/** Rules that span files: one subscription per (pubsub, topic) per group; unique job, tool and Subscription names. */
function crossCheck(units: readonly ScannedUnit[]): string[] {
  const problems: string[] = [];
  const firstFile = new Map<string, string>();
  const claim = (key: string, file: string, message: (first: string) => string) => {
    const first = firstFile.get(key);
    if (first === undefined) firstFile.set(key, file);
    else problems.push(`${file}: ${message(first)}`);
  };
  for (const scanned of units) {
    if (scanned.kind === "subscription") {
      const { pubsub, topic } = scanned.unit;
      claim(
        `topic\0${scanned.group}\0${pubsub}\0${topic}`,
        scanned.file,
        (first) =>
          `group "${scanned.group}" already subscribes to topic "${topic}" on pubsub "${pubsub}" in ${first}; ` +
          "Dapr keeps one subscription per topic per app, so handle both cases in one file",
      );
      claim(
        `subscription-name\0${scanned.group}-${scanned.name}`,
        scanned.file,
        (first) =>
          `its Subscription name "${scanned.group}-${scanned.name}" is also the name of ${first}'s; rename one file`,
      );
    } else if (scanned.kind === "job") {
      claim(
        `job\0${scanned.name}`,
        scanned.file,
        (first) =>
          `job "${scanned.name}" is already defined in ${first}; job names must be unique across groups ` +
          "(jobs/<name>.json names one job, and the local all-groups app serves every job)",
      );
    } else {
      claim(
        `tool\0${scanned.name}`,
        scanned.file,
        (first) => `tool "${scanned.name}" is already defined in ${first}; tool names must be unique`,
      );
    }
  }
  return problems;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function isStandardSchema(value: unknown): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const standard = (value as { "~standard"?: { validate?: unknown } })["~standard"];
  return typeof standard?.validate === "function";
}
