/**
 * Runs one job callback and says which HTTP status daprd should see (contract §5.3): 2xx when it
 * ran, 5xx when it failed (the job's failure policy retries it), 400 when its data can never be
 * valid (still a failure to daprd, so the bounded policy gives up, and the log says why).
 */
import type { BaseContext, JobDefinition } from "../define.js";
import { issuePaths } from "../issues.js";
import { describeIssues, validate } from "./delivery.js";

export type JobRunResult = { status: 200 } | { status: 400 | 500; error: string };

export async function runJob(
  { name, unit }: { name: string; unit: JobDefinition },
  rawBody: string,
  base: BaseContext,
  traceparent: string | undefined,
): Promise<JobRunResult> {
  let data: unknown;
  if (rawBody.trim() !== "") {
    try {
      data = JSON.parse(rawBody);
    } catch {
      base.log.error("job data is not JSON");
      return { status: 400, error: "job data is not valid JSON" };
    }
  }
  if (unit.schema) {
    const validated = await validate(unit.schema, data);
    if (validated.issues) {
      base.log.error("job data does not match the schema", { issues: describeIssues(validated.issues) });
      return { status: 400, error: `job data does not match the schema at ${issuePaths(validated.issues)}` };
    }
    data = validated.value;
  }
  try {
    await unit.handle(data, {
      ...base,
      job: traceparent ? { name, traceparent } : { name },
    });
    return { status: 200 };
  } catch (error) {
    base.log.error("job failed; the job's failure policy decides whether Dapr retries it", { error });
    return { status: 500, error: "job failed" };
  }
}
