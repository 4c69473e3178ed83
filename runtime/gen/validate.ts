/**
 * Checks imported unit modules against the conventions, one file at a time: where the file sits, how it is
 * named (`runtime/names.ts`), and whether its default export is the unit its suffix promises. Rules that span
 * files are in `cross-check.ts`.
 */
import type { SetupDefinition, SubscriptionDefinition } from "../define.js";
import { isUnit } from "../define.js";
import { GROUP_NAME, KEBAB_CASE, SNAKE_CASE } from "../names.js";
import { subscriptionRoute } from "../registry.js";
import { crossCheckUnits } from "./cross-check.js";
import { GeneratorError } from "./errors.js";
import { byCodePoint, type LoadedModule, type ScannedUnit, UNIT_FILE, type UnitFileKind } from "./units.js";

/** MCP clients (and the model APIs behind them) reject tool names longer than 64 characters. */
const MAX_TOOL_NAME = 64;
/** Kubernetes object names (DNS-1123 subdomain) are at most 253 characters. */
const MAX_OBJECT_NAME = 253;
const INT32_MAX = 2_147_483_647;

const KIND_OF_SUFFIX = { topic: "subscription", job: "job", tool: "tool", setup: "setup" } as const;
const HELPER_OF_KIND = {
  subscription: "defineSubscription",
  job: "defineJob",
  tool: "defineTool",
  setup: "defineSetup",
} as const;

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
  problems.push(...crossCheckUnits(units));
  if (problems.length > 0) throw new GeneratorError(problems);
  return units;
}

function checkModule(loaded: LoadedModule, report: (message: string) => void): ScannedUnit | undefined {
  const segments = loaded.path.split("/");
  const fileName = segments.at(-1) ?? "";
  const match = UNIT_FILE.exec(fileName);
  if (!match) {
    report("not a unit file (expected <name>.topic.ts, <name>.job.ts, <name>.tool.ts or <name>.setup.ts)");
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
  checkNames(group, name, suffix, fail);

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
  if (exported.kind === "setup") {
    checkSetup(exported, fail);
    return failures > 0
      ? undefined
      : { kind: "setup", group, name, file: `functions/${loaded.path}`, unit: exported };
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
      // The name comes from the file; a job that still states one must agree with it.
      if (exported.name !== undefined && exported.name !== name) {
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

function checkNames(
  group: string,
  name: string,
  suffix: UnitFileKind,
  fail: (message: string) => void,
): void {
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

function checkSetup(unit: SetupDefinition, fail: (message: string) => void): void {
  for (const hook of ["readiness", "start", "banner", "routes"] as const) {
    if (unit[hook] !== undefined && typeof unit[hook] !== "function") fail(`${hook} must be a function`);
  }
  for (const [name, command] of Object.entries(unit.commands ?? {})) {
    if (!KEBAB_CASE.test(name)) fail(`command name "${name}" must be kebab-case`);
    if (
      typeof command?.run !== "function" ||
      !isNonEmptyString(command.summary) ||
      !isNonEmptyString(command.help)
    ) {
      fail(`command "${name}" needs run(argv), a one-line summary and its help text`);
    }
  }
  if (unit.mcp !== undefined) {
    for (const hook of ["authenticate", "context", "describe"] as const) {
      if (typeof unit.mcp[hook] !== "function") fail(`mcp.${hook} must be a function`);
    }
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function isStandardSchema(value: unknown): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const standard = (value as { "~standard"?: { validate?: unknown } })["~standard"];
  return typeof standard?.validate === "function";
}
