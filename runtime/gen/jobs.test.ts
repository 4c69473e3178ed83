import type { StandardSchemaV1 } from "@standard-schema/spec";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { JobSpec } from "../dapr/client.js";
import { defineJob } from "../define.js";
import { checkJobData } from "./jobs.js";
import type { ScannedUnit } from "./units.js";

const jobUnit = (name: string, schema?: StandardSchemaV1): ScannedUnit => ({
  kind: "job",
  group: "alpha",
  name,
  file: `functions/alpha/${name}.job.ts`,
  unit: defineJob({ name, ...(schema === undefined ? {} : { schema }), handle() {} }),
});

/** A schema whose validator is whatever the test needs: async, or throwing. */
const customSchema = (validate: StandardSchemaV1["~standard"]["validate"]): StandardSchemaV1 => ({
  "~standard": { version: 1, vendor: "test", validate },
});

const specs = (entries: Record<string, unknown>) =>
  new Map<string, JobSpec>(
    Object.entries(entries).map(([name, data]) => [name, { schedule: "@daily", data }]),
  );

describe("checkJobData", () => {
  it("checks only handlers that declare a schema and have a spec, in job-name order", async () => {
    const units = [
      jobUnit("b-typed", v.object({ n: v.number() })),
      jobUnit("a-typed", v.array(v.string())),
      jobUnit("untyped"),
      jobUnit("unscheduled", v.number()),
    ];
    expect(await checkJobData(units, specs({ "a-typed": [1], "b-typed": { n: "x" }, untyped: 5 }))).toEqual([
      "jobs/a-typed.json: data does not match the schema of functions/alpha/a-typed.job.ts: " +
        "[0]: Invalid type: Expected string but received 1",
      "jobs/b-typed.json: data does not match the schema of functions/alpha/b-typed.job.ts: " +
        'n: Invalid type: Expected number but received "x"',
    ]);
  });

  it("awaits async validators and reports one that throws", async () => {
    const units = [
      jobUnit(
        "async",
        customSchema(async () => ({ issues: [{ message: "too late", path: [{ key: "at" }] }] })),
      ),
      jobUnit(
        "throws",
        customSchema(() => {
          throw new Error("boom");
        }),
      ),
      jobUnit(
        "fine",
        customSchema(async (value) => ({ value })),
      ),
    ];
    expect(await checkJobData(units, specs({ async: {}, throws: {}, fine: {} }))).toEqual([
      "jobs/async.json: data does not match the schema of functions/alpha/async.job.ts: at: too late",
      "jobs/throws.json: data does not match the schema of functions/alpha/throws.job.ts: the schema threw: boom",
    ]);
  });
});
