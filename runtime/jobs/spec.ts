/**
 * Job spec files: `jobs/<name>.json` holds the Jobs API body for job `<name>` minus `name` (the file
 * name is the job name) and `overwrite` (registration always overwrites). Specs are validated here, at
 * start, with messages naming the file, because daprd would only reject a bad spec with an opaque 500
 * from the scheduler engine (contract §5.1) — or, for a 5-field cron, accept nothing and fire never.
 */
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import type { JobSpec } from "../dapr/client.js";
import { KEBAB_CASE } from "../names.js";
import { parseSchedule } from "../schedule/cron.js";
import { parsePointInTime, parseProtoDuration } from "../schedule/duration.js";

/**
 * The dapr/kit cron grammar the scheduler uses: 6 fields with seconds, `@every <Go duration>`, descriptors,
 * an optional `TZ=`/`CRON_TZ=` prefix. Checked with the local sidecar's parser, so a spec passes here
 * exactly when the scheduler (and `npm start`) would take it.
 */
export function isDaprSchedule(schedule: string): boolean {
  try {
    parseSchedule(schedule);
    return true;
  } catch {
    return false;
  }
}

// Validity of a dueTime or ttl does not depend on the reference time; any fixed instant will do.
const REFERENCE_TIME = new Date(0);

/** RFC 3339 time, Go duration or non-repeating ISO 8601 duration, as the scheduler engine reads them. */
const isTimeOrDuration = (value: string) => parsePointInTime(value, REFERENCE_TIME) !== undefined;

/** protojson `google.protobuf.Duration` ("3s", "0.5s"), which daprd decodes the interval as; not negative. */
const isRetryInterval = (value: string) => (parseProtoDuration(value) ?? -1) >= 0;

const TIME_OR_DURATION =
  'must be an RFC 3339 time, a Go duration ("30s", "1h") or an ISO 8601 duration ("PT30S")';

const JobSpecSchema = v.pipe(
  v.strictObject({
    schedule: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.check(
          isDaprSchedule,
          (issue) =>
            `${JSON.stringify(issue.input)} is not a Dapr schedule: use 6 cron fields with seconds ` +
            '("0 */5 * * * *"), "@every 5m" or a descriptor such as "@daily"',
        ),
      ),
    ),
    dueTime: v.optional(v.pipe(v.string("must be a string"), v.check(isTimeOrDuration, TIME_OR_DURATION))),
    repeats: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(1, "must be ≥ 1 (omit it to repeat forever)"),
        v.maxValue(4_294_967_295, "must fit in 32 bits"),
      ),
    ),
    ttl: v.optional(v.pipe(v.string("must be a string"), v.check(isTimeOrDuration, TIME_OR_DURATION))),
    data: v.optional(v.unknown()),
    failurePolicy: v.optional(
      v.union(
        [
          v.strictObject({ drop: v.strictObject({}) }),
          v.strictObject({
            constant: v.strictObject({
              interval: v.pipe(
                v.string("must be a string"),
                v.check(isRetryInterval, 'must be a duration in seconds such as "3s" or "0.5s"'),
              ),
              maxRetries: v.optional(
                v.pipe(
                  v.number("must be a number"),
                  v.integer("must be a whole number"),
                  v.minValue(0, "must be ≥ 0 (omit it to retry forever)"),
                ),
              ),
            }),
          }),
        ],
        'must be {"drop": {}} or {"constant": {"interval": "<seconds>s", "maxRetries"?: <integer ≥ 0>}}',
      ),
    ),
  }),
  // The scheduler engine's own rules (contract §5.1), checked here so they fail with a file name.
  v.check(
    (spec) => spec.schedule !== undefined || spec.dueTime !== undefined,
    "needs a schedule or a dueTime",
  ),
  v.check((spec) => spec.ttl === undefined || spec.schedule !== undefined, "ttl needs a schedule"),
  v.check(
    (spec) => spec.repeats === undefined || spec.repeats <= 1 || spec.schedule !== undefined,
    "repeats > 1 needs a schedule",
  ),
);

export class JobSpecError extends Error {
  override readonly name = "JobSpecError";
  constructor(readonly problems: string[]) {
    super(`invalid job specs:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

const TOP_LEVEL_KEYS = ["schedule", "dueTime", "repeats", "ttl", "data", "failurePolicy"];

const KEY_HINTS: Record<string, string> = {
  name: " (the job name is the file name)",
  overwrite: " (registration always overwrites)",
};

/** Validates one parsed spec; returns the spec or every problem, each prefixed with `file`. */
export function parseJobSpec(file: string, input: unknown): { spec: JobSpec } | { problems: string[] } {
  // valibot's object schemas accept arrays, and strictObject stops at the first unknown key.
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { problems: [`${file}: must be a JSON object`] };
  }
  const unknownKeys = Object.keys(input).filter((key) => !TOP_LEVEL_KEYS.includes(key));
  const problems = unknownKeys.map(
    (key) => `${file}: unknown key "${key}"${KEY_HINTS[key] ?? ""}; allowed: ${TOP_LEVEL_KEYS.join(", ")}`,
  );
  const result = v.safeParse(JobSpecSchema, input);
  if (result.success) return { spec: result.output };
  for (const issue of result.issues) {
    const path = v.getDotPath(issue);
    if (issue.expected === "never" && path !== null && unknownKeys.includes(path)) continue; // reported above
    problems.push(`${file}: ${path === null ? "" : `${path}: `}${issue.message}`);
  }
  return { problems };
}

/**
 * Reads every `*.json` in `dir`, sorted by file name, into name → spec. Every problem in every file is
 * collected and thrown at once as a JobSpecError. A missing directory yields no specs (a group without
 * jobs needs none); a job that needs one then fails at registration, naming the file it expected.
 */
export async function loadJobSpecs(dir: string): Promise<Map<string, JobSpec>> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw error;
  }
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort();

  const specs = new Map<string, JobSpec>();
  const problems: string[] = [];
  for (const fileName of files) {
    const file = join(dir, fileName);
    const name = fileName.slice(0, -".json".length);
    // The rule job handler files follow (`<name>.job.ts`), so every spec can have a handler.
    if (!KEBAB_CASE.test(name)) {
      problems.push(`${file}: job name "${name}" must be kebab-case (a-z, 0-9 and single dashes)`);
      continue;
    }
    let input: unknown;
    try {
      input = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const result = parseJobSpec(file, input);
    if ("spec" in result) specs.set(name, result.spec);
    else problems.push(...result.problems);
  }
  if (problems.length > 0) throw new JobSpecError(problems);
  return specs;
}
