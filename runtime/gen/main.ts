/**
 * `npm run gen`: scans `functions/`, cross-checks `jobs/` (names and data), and writes
 * `runtime/generated/registry.gen.ts` and one `subscriptions/<group>.<name>.yaml` per topic handler. `--check`
 * computes the same outputs in memory, writes nothing, and fails listing every file that is out of date (missing,
 * different, or stale), as CI runs it.
 *
 * Everything comes from `options`; the generator reads no environment.
 */
import { mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { GeneratorError } from "./errors.js";
import { checkJobData, crossCheckJobs, loadGenJobSpecs } from "./jobs.js";
import { REGISTRY_PATH, renderRegistry } from "./render-registry.js";
import {
  type GeneratedFile,
  isGeneratedYaml,
  renderSubscriptions,
  SUBSCRIPTIONS_DIR,
} from "./render-subscriptions.js";
import { scanFunctions } from "./scan.js";
import { byCodePoint, type ScannedUnit } from "./units.js";

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
const STALE = "no topic handler generates it any more";

/** Every generated file, in memory: the registry first, then the Subscription YAMLs sorted by path. */
export function generateOutputs(units: readonly ScannedUnit[]): GeneratedFile[] {
  return [{ path: REGISTRY_PATH, content: renderRegistry(units) }, ...renderSubscriptions(units)];
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

  const outputs = generateOutputs(units);
  const outdated: string[] = [];
  for (const output of outputs) {
    if ((await readText(path.join(root, output.path))) !== output.content) outdated.push(output.path);
  }
  const stale = await findStaleYamls(root, new Set(outputs.map((output) => output.path)));
  const changed = [...outdated, ...stale].sort(byCodePoint);

  if (options.check) {
    for (const file of changed) log(`${file} ${OUT_OF_DATE}${stale.includes(file) ? ` (${STALE})` : ""}`);
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
    await unlink(path.join(root, file));
    log(`deleted ${file} (${STALE})`);
  }
  if (changed.length === 0) log("generated files are up to date");
  return { changed, ok: true, problems: [] };
}

/** Generated YAMLs (by their marker) in `subscriptions/` that no handler produces; hand-written files are left alone. */
async function findStaleYamls(root: string, expected: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(root, SUBSCRIPTIONS_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const stale: string[] = [];
  for (const name of names.sort(byCodePoint)) {
    const file = `${SUBSCRIPTIONS_DIR}/${name}`;
    if (!/\.ya?ml$/.test(name) || expected.has(file)) continue;
    const content = await readText(path.join(root, file));
    if (content !== undefined && isGeneratedYaml(content)) stale.push(file);
  }
  return stale;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return undefined;
    throw error;
  }
}
