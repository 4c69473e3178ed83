/**
 * A thin typed client over the Dapr sidecar's HTTP API (no SDK: the js-sdk drops publish errors,
 * guesses content types and has no Jobs API, contract §10). Each building block lives in its own
 * module; this class only wires them to one transport. The contract in
 * docs/dapr-contract.md is the reference for every path and status used here.
 */
import type { CloudEvent } from "../cloudevent.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { ping, waitForSidecar } from "./health.js";
import { DaprHttp } from "./http.js";
import { createJobsApi, type JobsApi } from "./jobs.js";
import {
  type BulkPublishEntry,
  type BulkPublishOptions,
  type BulkPublishResult,
  type PublishOptions,
  publish,
  publishBulk,
} from "./pubsub.js";
import { createSecretsApi, type SecretsApi } from "./secrets.js";
import { createStateApi, type StateApi } from "./state.js";

export { DaprConflictError, DaprError, DaprUnavailableError, isTransientDaprError } from "./errors.js";
export type { JobFailurePolicy, JobSpec, JobsApi, ScheduledJob } from "./jobs.js";
export type { BulkPublishEntry, BulkPublishOptions, BulkPublishResult, PublishOptions } from "./pubsub.js";
export type { SecretsApi } from "./secrets.js";
export type {
  StateApi,
  StateConcurrency,
  StateConsistency,
  StateEntry,
  StateItem,
  StateOperation,
} from "./state.js";

export interface DaprClientOptions {
  /** The sidecar's HTTP API, e.g. `http://127.0.0.1:3500`. */
  baseUrl: string;
  /** Sent as `dapr-api-token` on every request when set (daprd's DAPR_API_TOKEN, §7.6). */
  apiToken?: string;
  /** Per-request timeout; 0 disables it. Default 5000. */
  timeoutMs?: number;
  /** Default for `waitForSidecar`. Default 60000. */
  waitTimeoutMs?: number;
  log?: Logger;
}

export class DaprClient {
  readonly baseUrl: string;
  readonly jobs: JobsApi;
  readonly state: StateApi;
  readonly secrets: SecretsApi;
  readonly #http: DaprHttp;
  readonly #waitTimeoutMs: number;
  readonly #log: Logger | undefined;

  constructor(options: DaprClientOptions) {
    this.#http = new DaprHttp(options.baseUrl, options.apiToken, options.timeoutMs ?? 5_000);
    this.baseUrl = this.#http.baseUrl;
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
    this.#log = options.log;
    this.jobs = createJobsApi(this.#http);
    this.state = createStateApi(this.#http);
    this.secrets = createSecretsApi(this.#http);
  }

  /**
   * Publishes one CloudEvent as `application/cloudevents+json`, so daprd keeps our `id` (§1.1 item 2).
   * `partitionKey` travels as `?metadata.partitionKey=` (the Kafka record key); other metadata as
   * `?metadata.<k>=`. Throws DaprError (404 unknown pubsub, 403 topic not allowed, 500 broker error)
   * or DaprUnavailableError (no answer; retriable).
   */
  publish(pubsub: string, topic: string, event: CloudEvent, options?: PublishOptions): Promise<void> {
    return publish(this.#http, pubsub, topic, event, options);
  }

  /**
   * Publishes many CloudEvents in one request (§1.2). Entries that the broker rejected come back in
   * `failed` (by entryId, which defaults to the event id); whole-request errors throw.
   */
  publishBulk(
    pubsub: string,
    topic: string,
    events: BulkPublishEntry[],
    options?: BulkPublishOptions,
  ): Promise<BulkPublishResult> {
    return publishBulk(this.#http, pubsub, topic, events, options);
  }

  /**
   * Resolves once `GET /v1.0/healthz/outbound` answers 2xx, polling with backoff (50 ms doubling to 1 s).
   * Throws DaprUnavailableError naming the URL when `timeoutMs` passes; rejects with the signal's
   * reason when aborted.
   */
  waitForSidecar(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    return waitForSidecar(this.#http, options.timeoutMs ?? this.#waitTimeoutMs, options.signal, this.#log);
  }

  /** For `/readyz`: true when the sidecar's outbound health answered 2xx within 1 s. */
  ping(signal?: AbortSignal): Promise<boolean> {
    return ping(this.#http, signal);
  }
}

/** The client for this process's sidecar, from validated configuration. */
export function createDaprClient(config: Config, log?: Logger): DaprClient {
  // A bare IPv6 literal needs brackets in a URL.
  const host = /^[^[].*:/.test(config.DAPR_HOST) ? `[${config.DAPR_HOST}]` : config.DAPR_HOST;
  return new DaprClient({
    baseUrl: `http://${host}:${config.DAPR_HTTP_PORT}`,
    apiToken: config.DAPR_API_TOKEN,
    timeoutMs: config.DAPR_TIMEOUT_MS,
    waitTimeoutMs: config.DAPR_WAIT_MS,
    log,
  });
}
