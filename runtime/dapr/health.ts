/**
 * Start-up wait and readiness probe. Both use `GET /v1.0/healthz/outbound`, never `/v1.0/healthz`:
 * daprd reports `/v1.0/healthz` ready only after it has connected to the app's port, so an app that
 * waits for it before listening deadlocks (contract §7.2). The outbound endpoint turns ready once
 * components and API servers are up, and is exempt from the API token.
 */
import type { Logger } from "../log.js";
import { DaprError, DaprUnavailableError } from "./errors.js";
import { acceptAll, type DaprHttp } from "./http.js";
import { sleep } from "./signals.js";

export const OUTBOUND_HEALTHZ = "/v1.0/healthz/outbound";

const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1_000;
// One probe must not eat the whole wait when the sidecar accepts connections but stalls.
const MAX_ATTEMPT_MS = 2_000;
const PING_TIMEOUT_MS = 1_000;

export async function waitForSidecar(
  http: DaprHttp,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  log: Logger | undefined,
): Promise<void> {
  const url = http.baseUrl + OUTBOUND_HEALTHZ;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let delay = FIRST_DELAY_MS;
  let last = "no attempt made";
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - Date.now();
    try {
      const attemptMs = Math.max(1, Math.min(MAX_ATTEMPT_MS, http.timeoutMs || MAX_ATTEMPT_MS, remaining));
      const response = await http.send("waitForSidecar", "GET", OUTBOUND_HEALTHZ, {
        signal,
        timeoutMs: attemptMs,
        accept: acceptAll,
      });
      if (response.status >= 200 && response.status < 300) {
        if (attempt > 1) log?.info("dapr sidecar ready", { url, waitedMs: Date.now() - started });
        return;
      }
      last = `answered ${response.status}${response.text === "" ? "" : ` ${response.text.slice(0, 200)}`}`;
    } catch (error) {
      if (!(error instanceof DaprError)) throw error; // the caller's abort reason
      last = error.message;
    }
    if (attempt === 1) log?.info("waiting for dapr sidecar", { url, timeoutMs });
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) break;
    await sleep(wait, signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
  throw new DaprUnavailableError(
    `dapr sidecar not ready: GET ${url} did not answer 2xx within ${timeoutMs} ms (last attempt: ${last})`,
    { operation: "waitForSidecar", status: 0 },
  );
}

/** True when the sidecar's outbound health answered 2xx within a short timeout; never throws. */
export async function ping(http: DaprHttp, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const response = await http.send("ping", "GET", OUTBOUND_HEALTHZ, {
      signal,
      timeoutMs: Math.min(PING_TIMEOUT_MS, http.timeoutMs || PING_TIMEOUT_MS),
      accept: acceptAll,
    });
    return response.status >= 200 && response.status < 300;
  } catch {
    return false;
  }
}
