/**
 * Jobs API (contract §5.1) at its stable path `/v1.0/jobs/<name>`, served from Dapr 1.18.0 on. taskbeat
 * needs Dapr ≥ 1.18 (docs/operations.md: 1.18.3 for the Kafka component's producerRequiredAcks), so the
 * deprecated `/v1.0-alpha1/jobs` path is not used and there is no fallback to it.
 */
import { DaprError } from "./errors.js";
import { type DaprHttp, JSON_CONTENT_TYPE, parseJsonBody, segment } from "./http.js";

export type JobFailurePolicy =
  | { drop: Record<string, never> }
  | { constant: { interval: string; maxRetries?: number } };

/** The Jobs API body without `name` (daprd rejects a name in the body with 400, §9(b)). */
export interface JobSpec {
  /** 6-field cron with seconds (`0 30 * * * *`), `@every 5s`, `@daily`…; optional `TZ=Area/City ` prefix. */
  schedule?: string;
  /** RFC3339 time, Go duration from now (`0s`) or ISO 8601 duration. */
  dueTime?: string;
  /** Positive; omit to repeat forever (daprd rejects -1 with 400). */
  repeats?: number;
  ttl?: string;
  /** Sent back verbatim as the body of `POST /job/<name>` when the job fires (§5.3). */
  data?: unknown;
  /** Unset means daprd's default: constant 1 s, 3 retries. */
  failurePolicy?: JobFailurePolicy;
  /** Defaults to true here: re-registering at every start must not fail with 409. */
  overwrite?: boolean;
}

/** A job as daprd reports it, with `data` unwrapped from its protobuf `Any` envelope. */
export interface ScheduledJob {
  name: string;
  schedule?: string;
  dueTime?: string;
  repeats?: number;
  ttl?: string;
  data?: unknown;
  failurePolicy?: JobFailurePolicy;
}

export interface JobsApi {
  /** Creates or replaces a job; `overwrite` defaults to true. */
  schedule(name: string, spec: JobSpec, options?: { signal?: AbortSignal }): Promise<void>;
  /** The job, or undefined when daprd does not know it. */
  get(name: string, options?: { signal?: AbortSignal }): Promise<ScheduledJob | undefined>;
  /** Deletes a job; deleting a missing job succeeds (daprd answers 204). */
  delete(name: string, options?: { signal?: AbortSignal }): Promise<void>;
}

const VALUE_TYPE = "type.googleapis.com/google.protobuf.Value";

export function createJobsApi(http: DaprHttp): JobsApi {
  const path = (name: string) => `/v1.0/jobs/${segment(name)}`;
  return {
    async schedule(name, spec, options) {
      // A stray `name` in the body is a 400 from daprd (§9(b)); the URL carries the name.
      const { overwrite = true, name: _ignored, ...rest } = spec as JobSpec & { name?: unknown };
      await http.send("jobs.schedule", "POST", path(name), {
        body: JSON.stringify({ ...rest, overwrite }),
        headers: http.headers(JSON_CONTENT_TYPE),
        signal: options?.signal,
      });
    },

    async get(name, options) {
      try {
        const response = await http.send("jobs.get", "GET", path(name), { signal: options?.signal });
        return toScheduledJob(name, parseJsonBody<Record<string, unknown>>("jobs.get", response.text));
      } catch (error) {
        if (isJobNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(name, options) {
      await http.send("jobs.delete", "DELETE", path(name), { signal: options?.signal });
    },
  };
}

/**
 * daprd answers a missing job with 500 `DAPR_SCHEDULER_GET_JOB` (`SCHEDULER_GET_JOB` before the
 * `DAPR_` prefix was added), not 404. The same code also wraps a scheduler that cannot be reached;
 * that case carries a gRPC transport status in the message and must stay an error, or a caller would
 * take an outage for "not scheduled".
 */
function isJobNotFound(error: unknown): boolean {
  if (!(error instanceof DaprError) || error.errorCode === undefined) return false;
  if (error.errorCode !== "DAPR_SCHEDULER_GET_JOB" && error.errorCode !== "SCHEDULER_GET_JOB") return false;
  return !/code = (Unavailable|DeadlineExceeded|Canceled)/.test(error.message);
}

function toScheduledJob(name: string, raw: Record<string, unknown>): ScheduledJob {
  const job: ScheduledJob = { name: typeof raw.name === "string" ? raw.name : name };
  if (typeof raw.schedule === "string") job.schedule = raw.schedule;
  if (typeof raw.dueTime === "string") job.dueTime = raw.dueTime;
  if (typeof raw.repeats === "number") job.repeats = raw.repeats;
  if (typeof raw.ttl === "string") job.ttl = raw.ttl;
  if (raw.failurePolicy !== undefined) job.failurePolicy = raw.failurePolicy as JobFailurePolicy;
  if (raw.data !== undefined) job.data = unwrapAny(raw.data);
  return job;
}

// GET renders `data` as protojson Any: {"@type": ".../google.protobuf.Value", "value": <json>} (§5.1).
function unwrapAny(data: unknown): unknown {
  if (typeof data === "object" && data !== null && (data as { "@type"?: unknown })["@type"] === VALUE_TYPE) {
    return (data as { value?: unknown }).value;
  }
  return data;
}
