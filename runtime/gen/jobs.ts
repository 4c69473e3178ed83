/**
 * The two-way check between job handlers (`functions/<group>/<name>.job.ts`) and job specs (`jobs/<name>.json`):
 * a handler without a spec is never scheduled, and a spec without a handler fires into a 404 forever.
 */
import path from "node:path";
import { JobSpecError, loadJobSpecs } from "../jobs/spec.js";
import type { ScannedUnit } from "./scan.js";
import { byCodePoint } from "./scan.js";

export const JOBS_DIR = "jobs";

/**
 * The job names of `<root>/jobs/*.json`, sorted, after validating every spec with the runtime's own parser
 * (`runtime/jobs/spec.ts`), so a spec daprd would reject fails `npm run gen` too. Returns the names, or the
 * problems with paths relative to `root`. A missing `jobs/` has no specs.
 */
export async function loadJobSpecNames(root: string): Promise<{ names: string[]; problems: string[] }> {
  try {
    const specs = await loadJobSpecs(path.join(root, JOBS_DIR));
    return { names: [...specs.keys()].sort(byCodePoint), problems: [] };
  } catch (error) {
    if (!(error instanceof JobSpecError)) throw error;
    const prefix = `${path.resolve(root)}${path.sep}`;
    const relative = (problem: string) =>
      problem.startsWith(prefix) ? problem.slice(prefix.length) : problem;
    return { names: [], problems: error.problems.map(relative) };
  }
}

/** Every mismatch between job handlers and spec names, in both directions, sorted by the file they name. */
export function crossCheckJobs(units: readonly ScannedUnit[], specNames: readonly string[]): string[] {
  const handlers = new Map(units.filter((u) => u.kind === "job").map((u) => [u.name, u.file]));
  const specs = new Set(specNames);
  const problems: string[] = [];
  for (const [name, file] of [...handlers].sort(([a], [b]) => byCodePoint(a, b))) {
    if (!specs.has(name)) {
      problems.push(
        `${file}: job "${name}" has no spec; add ${JOBS_DIR}/${name}.json (its schedule, dueTime, failurePolicy, data)`,
      );
    }
  }
  for (const name of [...specs].sort(byCodePoint)) {
    if (!handlers.has(name)) {
      problems.push(
        `${JOBS_DIR}/${name}.json: no job handler "${name}"; add functions/<group>/${name}.job.ts ` +
          `(export default defineJob({ name: "${name}", … })) or delete the spec`,
      );
    }
  }
  return problems;
}
