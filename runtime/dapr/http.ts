/**
 * The one place that talks HTTP to the sidecar: base URL, `dapr-api-token`, per-request timeout,
 * caller cancellation and error mapping. Everything else in `runtime/dapr/` builds paths and bodies.
 *
 * Built on node:http with a keep-alive Agent, not global fetch: on Node 20 fetch managed ~2,000
 * publishes/s against a 204 server on loopback where node:http did ~20,000/s (64 in flight, same
 * machine), and publish has to sustain ≥ 5,000 events/s. The timeout is a timer cleared on completion
 * rather than `AbortSignal.any([signal, AbortSignal.timeout(ms)])`, which on Node 20 costs ~20 µs per
 * call and leaves a live timer behind for the whole timeout.
 */
import http, { type ClientRequest, type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { type DaprError, describeRequest, errorFromResponse, unavailableError } from "./errors.js";
import { forgetAbort, onAbort } from "./signals.js";

export const JSON_CONTENT_TYPE = "application/json";

export interface DaprResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body; "" for 204. Read before the timer is cleared, so a stalled body also times out. */
  text: string;
}

export interface SendOptions {
  body?: string;
  /** Header objects from `headers()` are cached and reused, which keeps publish allocation-light. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Statuses the caller handles itself instead of getting a DaprError (e.g. bulk publish's 500 body). */
  accept?: (status: number) => boolean;
}

// Enough sockets for ≥ 5,000/s at ~20 ms per publish (a Kafka ack); further requests queue in the agent.
const MAX_SOCKETS = 128;
const TIMEOUT = Symbol("timeout");

export class DaprHttp {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #apiToken: string | undefined;
  readonly #headerCache = new Map<string, Record<string, string>>();
  readonly #target: { protocol: string; hostname: string; port: string; agent: http.Agent };
  readonly #request: typeof http.request;
  readonly #pathPrefix: string;

  constructor(baseUrl: string, apiToken: string | undefined, timeoutMs: number) {
    const url = new URL(baseUrl);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#pathPrefix = url.pathname.replace(/\/+$/, "");
    this.#apiToken = apiToken || undefined;
    this.timeoutMs = timeoutMs;
    const secure = url.protocol === "https:";
    const Agent = secure ? https.Agent : http.Agent;
    this.#request = secure ? https.request : http.request;
    this.#target = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port,
      agent: new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    };
  }

  /** Headers for a content type (or none), with the token; cached so hot paths never rebuild them. */
  headers(contentType?: string): Record<string, string> {
    const key = contentType ?? "";
    let headers = this.#headerCache.get(key);
    if (headers === undefined) {
      headers = {};
      if (contentType !== undefined) headers["content-type"] = contentType;
      if (this.#apiToken !== undefined) headers["dapr-api-token"] = this.#apiToken;
      this.#headerCache.set(key, headers);
    }
    return headers;
  }

  /**
   * Sends one request and reads the whole answer. Non-2xx becomes DaprError/DaprConflictError unless
   * `accept` claims the status; no answer becomes DaprUnavailableError; a caller abort rejects with
   * the caller's reason unchanged.
   */
  async send(
    operation: string,
    method: string,
    path: string,
    options: SendOptions = {},
  ): Promise<DaprResponse> {
    let response: DaprResponse;
    try {
      response = await this.#exchange(method, path, options);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const request = describeRequest(method, path);
      if (error !== TIMEOUT) throw unavailableError(operation, request, this.baseUrl, error);
      throw unavailableError(
        operation,
        request,
        this.baseUrl,
        undefined,
        options.timeoutMs ?? this.timeoutMs,
      );
    }
    const { status } = response;
    if ((status >= 200 && status < 300) || options.accept?.(status)) return response;
    throw this.error(operation, method, path, response);
  }

  /** The DaprError for an answer; public for callers that `accept` a status and then reject the body. */
  error(operation: string, method: string, path: string, response: DaprResponse): DaprError {
    const request = describeRequest(method, path);
    return errorFromResponse(operation, request, response.status, response.text, this.#apiToken);
  }

  #exchange(method: string, path: string, options: SendOptions, retried = false): Promise<DaprResponse> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<DaprResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      let answered = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error: unknown, response?: DaprResponse) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        if (signal !== undefined) forgetAbort(signal, abort);
        if (response !== undefined) resolve(response);
        else if (!answered && !retried && isStaleSocket(request, error)) {
          // The sidecar closed an idle keep-alive socket as we reused it; the request never got there.
          this.#exchange(method, path, options, true).then(resolve, reject);
        } else reject(error);
      };
      const abort = () => {
        finish(signal?.reason);
        request.destroy();
      };

      const request: ClientRequest = this.#request(
        {
          ...this.#target,
          method,
          path: this.#pathPrefix + path,
          headers: options.headers ?? this.headers(),
        },
        (res) => {
          answered = true;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, text }));
          res.on("error", finish);
        },
      );
      request.on("error", finish);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          finish(TIMEOUT);
          request.destroy();
        }, timeoutMs);
      }
      if (signal !== undefined) onAbort(signal, abort);
      request.end(options.body);
    });
  }
}

function isStaleSocket(request: ClientRequest, error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return request.reusedSocket && (code === "ECONNRESET" || code === "EPIPE");
}

/** Appends `metadata.<k>=<v>` query parameters (contract §0); returns "" when there are none. */
export function metadataQuery(metadata: Record<string, string> | undefined, prefix = "?"): string {
  if (metadata === undefined) return "";
  let query = "";
  for (const key in metadata) {
    const value = metadata[key];
    if (value === undefined) continue;
    query += `${query === "" ? prefix : "&"}metadata.${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
  }
  return query;
}

/** An `accept` for callers that read every status themselves (health probes, bulk publish's 500 body). */
export const acceptAll = (): boolean => true;

/** One path segment; daprd's routes take pubsub, topic, store, key and job name as single segments. */
export const segment = encodeURIComponent;

/**
 * Parses a JSON body, naming the operation when daprd sent something that is not JSON. No fallback (unlike
 * `parseJsonOr`): a 2xx answer that should be JSON and is not means a broken sidecar or proxy, so it throws.
 */
export function parseJsonBody<T>(operation: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`dapr ${operation}: expected a JSON answer, got ${JSON.stringify(text.slice(0, 200))}`);
  }
}
