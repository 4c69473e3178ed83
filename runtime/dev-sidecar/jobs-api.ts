/**
 * The Jobs API (contract §5.1): `POST|GET|DELETE /v1.0-alpha1/jobs/{name}` and `/v1.0/jobs/{name}`.
 * Validation follows daprd then the scheduler engine (go-etcd-cron `Builder.Parse`), in that order,
 * because the status code tells which layer refused: 400 for the request, 500 for the engine, 409 for
 * an existing job without `overwrite: true`.
 */

import { parseJsonOr } from "../json.js";
import { parseSchedule, type Schedule } from "../schedule/cron.js";
import { parsePointInTime, parseProtoDuration } from "../schedule/duration.js";
import { ApiError, empty, json, type RequestContext, type Route } from "./http.js";
import { field, isPlainObject } from "./json.js";
import type { JobScheduler } from "./scheduler.js";

export type FailurePolicy = { kind: "drop" } | { kind: "constant"; intervalMs: number; maxRetries?: number };

export interface Job {
  name: string;
  /** The request as given (for GET). */
  schedule?: string;
  dueTime?: string;
  repeats?: number;
  ttl?: string;
  /** `{ value }` when the request had `data` (even `null`), so "no data" stays distinguishable. */
  data?: { value: unknown };
  failurePolicy: FailurePolicy;
  overwrite: boolean;
  /** Engine view: parsed schedule, first-trigger rule and expiry. */
  cron?: Schedule;
  begin: { kind: "start" | "due"; at: Date };
  expiration?: Date;
}

/** A failure policy in the Jobs API's JSON shape. */
export type FailurePolicyJson =
  | { drop: Record<string, never> }
  | { constant: { interval?: string; maxRetries?: number } };

export function jobRoutes(scheduler: JobScheduler, defaultPolicy: FailurePolicy): Route[] {
  const routes: Route[] = [];
  for (const prefix of ["/v1.0-alpha1/jobs", "/v1.0/jobs"]) {
    const pattern = `${prefix}/:name`;
    routes.push(
      { methods: ["POST"], pattern, handler: (ctx) => create(scheduler, ctx, defaultPolicy) },
      { methods: ["GET"], pattern, handler: (ctx) => read(scheduler, ctx) },
      { methods: ["DELETE"], pattern, handler: (ctx) => remove(scheduler, ctx) },
    );
  }
  return routes;
}

function jobName(ctx: RequestContext): string {
  const name = ctx.params.name ?? "";
  // daprd rejects empty names and names that cannot be one key segment.
  if (name === "" || /[|/\\#?\0\n]/.test(name)) {
    throw new ApiError(400, "DAPR_SCHEDULER_JOB_NAME_EMPTY", `invalid job name ${JSON.stringify(name)}`);
  }
  return name;
}

async function create(scheduler: JobScheduler, ctx: RequestContext, defaultPolicy: FailurePolicy) {
  const name = jobName(ctx);
  const parsed = parseJsonOr((await ctx.body()).toString("utf8") || "{}", undefined);
  if (!isPlainObject(parsed)) throw malformed("request body is not a JSON object");
  const job = parseJob(name, parsed, new Date(), defaultPolicy);
  if (scheduler.has(name) && !job.overwrite) {
    throw new ApiError(
      409,
      "DAPR_SCHEDULER_SCHEDULE_JOB",
      `failed to schedule job ${name}: job already exists`,
    );
  }
  scheduler.put(job);
  return empty();
}

function read(scheduler: JobScheduler, ctx: RequestContext) {
  const name = jobName(ctx);
  const job = scheduler.get(name);
  if (!job) throw new ApiError(500, "DAPR_SCHEDULER_GET_JOB", `failed to get job ${name}: job not found`);
  return json(200, renderJob(job));
}

function remove(scheduler: JobScheduler, ctx: RequestContext) {
  scheduler.delete(jobName(ctx));
  return empty();
}

/** protojson of runtime.v1.Job: zero values omitted, data as a google.protobuf.Value inside an Any. */
function renderJob(job: Job): Record<string, unknown> {
  const out: Record<string, unknown> = { name: job.name };
  if (job.schedule) out.schedule = job.schedule;
  if (job.dueTime) out.dueTime = job.dueTime;
  if (job.repeats) out.repeats = job.repeats;
  if (job.ttl) out.ttl = job.ttl;
  if (job.data) out.data = { "@type": "type.googleapis.com/google.protobuf.Value", value: job.data.value };
  const p = job.failurePolicy;
  out.failurePolicy =
    p.kind === "drop"
      ? { drop: {} }
      : {
          constant: {
            interval: `${p.intervalMs / 1000}s`,
            ...(p.maxRetries === undefined ? {} : { maxRetries: p.maxRetries }),
          },
        };
  if (job.overwrite) out.overwrite = true;
  return out;
}

/** Decodes and validates a job request; throws the ApiError daprd would answer. */
export function parseJob(
  name: string,
  body: Record<string, unknown>,
  now: Date,
  defaultPolicy: FailurePolicy = DEFAULT_POLICY,
): Job {
  // protojson accepts the camelCase and the proto names; JSON null means "not set".
  const get = (camel: string, snake = camel) => body[camel] ?? body[snake] ?? undefined;
  const str = (camel: string, snake?: string) => {
    const v = get(camel, snake);
    if (v !== undefined && typeof v !== "string") throw malformed(`${camel} must be a string`);
    return v === "" ? undefined : v;
  };
  const schedule = str("schedule");
  const dueTime = str("dueTime", "due_time");
  const ttl = str("ttl");
  const repeats = uint32(get("repeats"), "repeats");
  const overwrite = get("overwrite") ?? false;
  if (typeof overwrite !== "boolean") throw malformed("overwrite must be a boolean");
  const failurePolicy = parseFailurePolicy(get("failurePolicy", "failure_policy")) ?? defaultPolicy;
  const declaredName = body.name;
  if (declaredName !== undefined && declaredName !== null && declaredName !== "") {
    throw new ApiError(400, "DAPR_SCHEDULER_JOB_NAME", "Set the job name in the url only");
  }
  if (schedule === undefined && dueTime === undefined) {
    throw new ApiError(400, "DAPR_SCHEDULER_SCHEDULE_EMPTY", "Schedule is empty");
  }

  const engine = (reason: string) =>
    new ApiError(500, "DAPR_SCHEDULER_SCHEDULE_JOB", `failed to schedule job ${name}: ${reason}`);
  if (schedule === undefined && repeats !== undefined && repeats > 1)
    throw engine("job must have a schedule to repeat");
  if (repeats !== undefined && repeats < 1) throw engine("defined repeats must be greater than 0");
  if (schedule === undefined && ttl !== undefined) throw engine("job must have a schedule to have a ttl");
  let cron: Schedule | undefined;
  try {
    cron = schedule === undefined ? undefined : parseSchedule(schedule);
  } catch (err) {
    throw engine((err as Error).message);
  }
  // The engine works in whole seconds: the schedule clock starts at now truncated to the second.
  const start = new Date(Math.floor(now.getTime() / 1000) * 1000);
  let begin: Job["begin"] = { kind: "start", at: start };
  if (dueTime !== undefined) {
    const at = parsePointInTime(dueTime, start);
    if (!at) throw engine("due time format not recognized");
    begin = { kind: "due", at };
  }
  let expiration: Date | undefined;
  if (ttl !== undefined) {
    expiration = parsePointInTime(ttl, begin.at);
    if (!expiration) throw engine("ttl format not recognized");
    if (begin.kind === "due" && begin.at > expiration) throw engine("ttl must be greater than due time");
  }
  const data = "data" in body ? { value: body.data } : undefined;
  return { name, schedule, dueTime, repeats, ttl, data, failurePolicy, overwrite, cron, begin, expiration };
}

// Without a policy the engine applies constant 1 s × 3 retries (contract §5.3).
export const DEFAULT_POLICY: FailurePolicy = { kind: "constant", intervalMs: 1000, maxRetries: 3 };

/** undefined when no policy is given; throws ApiError 400 when it is malformed. */
export function parseFailurePolicy(raw: unknown): FailurePolicy | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw malformed("failurePolicy must be an object");
  const drop = field(raw, "drop");
  const constant = field(raw, "constant");
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(drop) && has(constant)) throw malformed("failurePolicy: only one of drop or constant may be set");
  if (has(constant)) {
    if (!isPlainObject(constant)) throw malformed("failurePolicy.constant must be an object");
    const interval = constant.interval ?? undefined;
    let intervalMs = 0;
    if (interval !== undefined) {
      const ms = typeof interval === "string" ? parseProtoDuration(interval) : undefined;
      if (ms === undefined || ms < 0)
        throw malformed(
          `failurePolicy.constant.interval ${JSON.stringify(interval)} is not a duration like "3s"`,
        );
      intervalMs = ms;
    }
    const maxRetries = uint32(
      constant.maxRetries ?? constant.max_retries,
      "failurePolicy.constant.maxRetries",
    );
    return maxRetries === undefined
      ? { kind: "constant", intervalMs }
      : { kind: "constant", intervalMs, maxRetries };
  }
  if (has(drop) && !isPlainObject(drop)) throw malformed("failurePolicy.drop must be an object");
  // `{"drop":{}}`, and a policy with neither branch set: no retries.
  return { kind: "drop" };
}

// protojson uint32: a JSON number or a quoted integer within range; -1 is a 400.
function uint32(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 4294967295) {
    throw malformed(`${name} must be an unsigned 32-bit integer`);
  }
  return n;
}

const malformed = (message: string) => new ApiError(400, "ERR_MALFORMED_REQUEST", message);
