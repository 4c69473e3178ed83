/**
 * Finds the units in `functions/` and imports them; `validate.ts` then checks them against the conventions.
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
import { GeneratorError } from "./errors.js";
import { byCodePoint, type LoadedModule, type ScannedUnit, UNIT_FILE } from "./units.js";
import { validateUnits } from "./validate.js";

// The generator's entry points, importable from one module as before the split.
export { byCodePoint, type LoadedModule, type ScannedUnit, UNIT_FILE, type UnitFileKind } from "./units.js";
export { validateUnits } from "./validate.js";

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
