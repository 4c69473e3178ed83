/**
 * Errors from the sidecar's HTTP API. daprd answers errors as JSON `{errorCode, message, details}`
 * (contract §0), except the API-token middleware, which answers a plain-text 401 `invalid api token`
 * (§7.6). Callers branch on the class (conflict, unavailable) or on `errorCode`, never on the message.
 */
import { parseJsonOr } from "../json.js";

export interface DaprErrorInit {
  operation: string;
  status: number;
  errorCode?: string;
  details?: unknown;
  cause?: unknown;
}

export class DaprError extends Error {
  override name = "DaprError";
  /** HTTP status daprd answered, or 0 when no answer arrived (unreachable, timed out). */
  readonly status: number;
  /** daprd's `errorCode`, e.g. `ERR_PUBSUB_NOT_FOUND` or `DAPR_SCHEDULER_GET_JOB`. */
  readonly errorCode?: string;
  /** daprd's `details` (google.rpc ErrorInfo and friends), as sent. */
  readonly details?: unknown;
  /** The client call that failed, e.g. `publish`, `state.save`. */
  readonly operation: string;

  constructor(message: string, init: DaprErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.operation = init.operation;
    this.status = init.status;
    if (init.errorCode !== undefined) this.errorCode = init.errorCode;
    if (init.details !== undefined) this.details = init.details;
  }
}

/**
 * 409: the write lost a race with the sidecar's current state — a stale ETag on state save/delete
 * (§6), or a job that already exists and was scheduled without `overwrite` (§5.1). Inside a state
 * transaction daprd reports a stale ETag as 500 `ERR_STATE_TRANSACTION`, so that stays a plain DaprError.
 */
export class DaprConflictError extends DaprError {
  override name = "DaprConflictError";
}

/** No HTTP answer at all: connection refused/reset or the per-request timeout. Safe to retry. */
export class DaprUnavailableError extends DaprError {
  override name = "DaprUnavailableError";
}

/** Worth retrying: the sidecar was unreachable or answered 5xx (a broker or scheduler hiccup). */
export function isTransientDaprError(error: unknown): boolean {
  return error instanceof DaprUnavailableError || (error instanceof DaprError && error.status >= 500);
}

/** `method path` as it appears in messages; the query string is left out on purpose (it can be long). */
export function describeRequest(method: string, path: string): string {
  const query = path.indexOf("?");
  return `${method} ${query === -1 ? path : path.slice(0, query)}`;
}

/**
 * Builds the error for a non-2xx answer. `apiToken` is scrubbed from anything daprd echoed back, so
 * the token can never reach a log line through an error message.
 */
export function errorFromResponse(
  operation: string,
  request: string,
  status: number,
  body: string,
  apiToken: string | undefined,
): DaprError {
  let errorCode: string | undefined;
  let detail: string | undefined;
  let details: unknown;
  const parsed = parseJsonOr(body, undefined);
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    const json = parsed as { errorCode?: unknown; message?: unknown; details?: unknown };
    if (typeof json.errorCode === "string" && json.errorCode !== "") errorCode = json.errorCode;
    if (typeof json.message === "string" && json.message !== "") detail = json.message;
    details = json.details;
  }
  if (detail === undefined && errorCode === undefined) detail = body.trim().slice(0, 500) || undefined;

  let message = `dapr ${operation} failed: ${request} answered ${status}`;
  if (errorCode !== undefined) message += ` ${errorCode}`;
  if (detail !== undefined) message += `: ${detail}`;
  if (status === 401 && body.includes("invalid api token")) {
    message += " (the sidecar requires dapr-api-token; set DAPR_API_TOKEN to the sidecar's token)";
  }
  if (apiToken) message = message.replaceAll(apiToken, "***");

  const init: DaprErrorInit = { operation, status, errorCode, details };
  return status === 409 ? new DaprConflictError(message, init) : new DaprError(message, init);
}

/** Maps a fetch failure (no HTTP answer) to DaprUnavailableError with the socket-level reason. */
export function unavailableError(
  operation: string,
  request: string,
  baseUrl: string,
  cause: unknown,
  timeoutMs?: number,
): DaprUnavailableError {
  const reason =
    timeoutMs === undefined
      ? `sidecar unreachable (${networkReason(cause)})`
      : `no answer within ${timeoutMs} ms`;
  return new DaprUnavailableError(`dapr ${operation} failed: ${request} at ${baseUrl}: ${reason}`, {
    operation,
    status: 0,
    cause,
  });
}

// undici wraps the socket error: TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }).
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
