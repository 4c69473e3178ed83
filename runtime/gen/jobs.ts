/**
 * The checks between job handlers (`functions/<group>/<name>.job.ts`) and job specs (`jobs/<name>.json`): a
 * handler without a spec is never scheduled, a spec without a handler fires into a 404 forever, and spec `data`
 * the handler's schema rejects fails every trigger (the router answers 400, contract §5.3).
 */
import path from "node:path";
import type { JobSpec } from "../dapr/client.js";
import { JobSpecError, loadJobSpecs } from "../jobs/spec.js";
import { describeIssues } from "../router/delivery.js";
import { byCodePoint, type ScannedUnit } from "./units.js";

export const JOBS_DIR = "jobs";

/**
 * The specs of `<root>/jobs/*.json` by job name, after validating every spec with the runtime's own parser
 * (`runtime/jobs/spec.ts`), so a spec daprd would reject fails `npm run gen` too. Returns the specs, or the
 * problems with paths relative to `root`. A missing `jobs/` has no specs.
 */
export async function loadGenJobSpecs(
  root: string,
): Promise<{ specs: ReadonlyMap<string, JobSpec>; problems: string[] }> {
  try {
    return { specs: await loadJobSpecs(path.join(root, JOBS_DIR)), problems: [] };
  } catch (error) {
    if (!(error instanceof JobSpecError)) throw error;
    const prefix = `${path.resolve(root)}${path.sep}`;
    const relative = (problem: string) =>
      problem.startsWith(prefix) ? problem.slice(prefix.length) : problem;
    return { specs: new Map(), problems: error.problems.map(relative) };
  }
}

/** Every mismatch between job handlers and spec names, in both directions, sorted by the file they name. */
export function crossCheckJobs(units: readonly ScannedUnit[], specNames: Iterable<string>): string[] {
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

/**
 * Each spec's `data` checked against its handler's `schema`, when the handler declares one, sorted by job name.
 * A spec without `data` is checked as undefined, because that is what the handler is then called with.
 */
export async function checkJobData(
  units: readonly ScannedUnit[],
  specs: ReadonlyMap<string, JobSpec>,
): Promise<string[]> {
  const problems: string[] = [];
  const jobs = units
    .flatMap((u) => (u.kind === "job" ? [u] : []))
    .sort((a, b) => byCodePoint(a.name, b.name));
  for (const { name, file, unit } of jobs) {
    const spec = specs.get(name);
    if (spec === undefined || unit.schema === undefined) continue;
    let issues: string[];
    try {
      const result = await unit.schema["~standard"].validate(spec.data);
      issues = result.issues === undefined ? [] : describeIssues(result.issues);
    } catch (error) {
      // A transform that throws on this data would throw on every trigger too.
      issues = [`the schema threw: ${error instanceof Error ? error.message : String(error)}`];
    }
    if (issues.length > 0) {
      problems.push(
        `${JOBS_DIR}/${name}.json: data does not match the schema of ${file}: ${issues.join("; ")}`,
      );
    }
  }
  return problems;
}
