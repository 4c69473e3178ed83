/**
 * `npm run gen`: scans `functions/`, cross-checks `jobs/` (names and data), and writes the registry modules in
 * `runtime/generated/` (`registry.gen.ts` with every group, `groups.gen.ts` loading one group by name, and one
 * `groups/<group>.gen.ts` per group) and one `subscriptions/<group>.<name>.yaml` per topic handler. `--check`
 * computes the same outputs in memory, writes nothing, and fails listing every file that is out of date (missing,
 * different, or stale), as CI runs it.
 *
 * Everything comes from `options`; the generator reads no environment.
 */
import { mkdir, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { SETTINGS } from "../config.js";
import { GeneratorError } from "./errors.js";
import { formatWithBiome } from "./format.js";
import { checkJobData, crossCheckJobs, loadGenJobSpecs } from "./jobs.js";
import { COMMANDS_PATH, renderCommands } from "./render-commands.js";
import { README_PATH, renderConfigTable, withConfigTable } from "./render-config.js";
import { renderGroupModules } from "./render-group.js";
import { GROUP_LOADERS_PATH, renderGroupLoaders } from "./render-loaders.js";
import { REGISTRY_PATH, renderRegistry } from "./render-registry.js";
import { renderSubscriptions } from "./render-subscriptions.js";
import { scanFunctions } from "./scan.js";
import { findStaleFiles, readText } from "./stale.js";
import { byCodePoint, type GeneratedFile, type ScannedUnit } from "./units.js";

export const FUNCTIONS_DIR = "functions";

export interface GeneratorOptions {
  /** The project root: the folder holding `functions/`, `jobs/`, `runtime/` and `subscriptions/`. */
  root: string;
  /** Write nothing; report what is out of date. */
  check: boolean;
  /** One line per event (file written, file out of date, problem). Defaults to `console.log`. */
  log?: (line: string) => void;
}

export interface GeneratorResult {
  /** Paths (relative to root) written or deleted; in check mode, the paths that are out of date. */
  changed: string[];
  /** False when a unit or job spec breaks a rule, or (check mode) when anything is out of date. */
  ok: boolean;
  /** Rule violations in `functions/` and `jobs/`; when there are any, nothing is written. */
  problems: string[];
}

const OUT_OF_DATE = "is out of date; run npm run gen";

/** Every generated file, in memory: the TypeScript modules, then the Subscription YAMLs, each sorted by path. */
export function generateOutputs(units: readonly ScannedUnit[]): GeneratedFile[] {
  const modules = [
    { path: REGISTRY_PATH, content: renderRegistry(units) },
    { path: GROUP_LOADERS_PATH, content: renderGroupLoaders(units) },
    { path: COMMANDS_PATH, content: renderCommands(units) },
    ...renderGroupModules(units),
  ].sort((a, b) => byCodePoint(a.path, b.path));
  return [...modules, ...renderSubscriptions(units)];
}

export async function runGenerator(options: GeneratorOptions): Promise<GeneratorResult> {
  const root = path.resolve(options.root);
  const log = options.log ?? ((line: string) => console.log(line));

  const problems: string[] = [];
  let units: ScannedUnit[] = [];
  try {
    units = await scanFunctions(path.join(root, FUNCTIONS_DIR));
  } catch (error) {
    if (!(error instanceof GeneratorError)) throw error;
    problems.push(...error.problems);
  }
  const jobSpecs = await loadGenJobSpecs(root);
  problems.push(...jobSpecs.problems);
  // Cross-checking half-loaded inputs would only add noise ("no spec" for a spec that failed to parse).
  if (problems.length === 0) {
    problems.push(...crossCheckJobs(units, jobSpecs.specs.keys()));
    problems.push(...(await checkJobData(units, jobSpecs.specs)));
  }
  if (problems.length > 0) {
    for (const problem of problems) log(`error: ${problem}`);
    log(`${problems.length} problem${problems.length === 1 ? "" : "s"} found; nothing was written`);
    return { changed: [], ok: false, problems };
  }

  const rendered = generateOutputs(units);
  // The README is hand-written but for its configuration table, which comes from runtime/config.ts.
  const readme = await readText(path.join(root, README_PATH));
  if (readme !== undefined) {
    rendered.push({ path: README_PATH, content: withConfigTable(readme, renderConfigTable(SETTINGS)) });
  }
  const outputs = formatWithBiome(rendered, root);
  const outdated: string[] = [];
  for (const output of outputs) {
    if ((await readText(path.join(root, output.path))) !== output.content) outdated.push(output.path);
  }
  const stale = await findStaleFiles(root, new Set(outputs.map((output) => output.path)));
  const staleReason = new Map(stale.map((file) => [file.path, file.reason]));
  const changed = [...outdated, ...staleReason.keys()].sort(byCodePoint);

  if (options.check) {
    for (const file of changed) {
      const reason = staleReason.get(file);
      log(`${file} ${OUT_OF_DATE}${reason === undefined ? "" : ` (${reason})`}`);
    }
    if (changed.length === 0) log("generated files are up to date");
    return { changed, ok: changed.length === 0, problems: [] };
  }

  for (const output of outputs.filter((o) => outdated.includes(o.path))) {
    const target = path.join(root, output.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, output.content);
    log(`wrote ${output.path}`);
  }
  for (const file of stale) {
    await unlink(path.join(root, file.path));
    log(`deleted ${file.path} (${file.reason})`);
  }
  if (changed.length === 0) log("generated files are up to date");
  return { changed, ok: true, problems: [] };
}
