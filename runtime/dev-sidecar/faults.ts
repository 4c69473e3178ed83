/**
 * Fault injection, so idempotency and outage handling can be tested against the sidecar: duplicate and
 * reordered deliveries, failing publishes, added latency, and an API port that refuses connections.
 *
 * Also over HTTP (for `npm start` users), on the API port and behind the API token like any API call:
 *   GET    /v1.0-dev/faults   → 200 current state
 *   POST   /v1.0-dev/faults   → 200 new state; JSON body with any of
 *          {"duplicate":true, "reorder":true, "latencyMs":200,
 *           "failNextPublishes":3, "failStatus":503, "unreachableForMs":5000}
 *          (unreachableForMs starts right after this answer is sent)
 *   DELETE /v1.0-dev/faults   → 200 everything off
 */

import { parseJsonOr } from "../json.js";
import type { Logger } from "../log.js";
import { ApiError, json, type Route } from "./http.js";
import { isPlainObject } from "./json.js";

export interface Faults {
  /** Deliver every message twice to each subscription. */
  duplicate: boolean;
  /** Deliver out of publish order (messages are collected for a short window, then shuffled). */
  reorder: boolean;
  /** Added before answering each API call and before each delivery. */
  latencyMs: number;
  /** The next `n` publish calls (single or bulk) answer `status` (default 500) ERR_PUBSUB_PUBLISH_MESSAGE and store nothing. */
  failNextPublishes(n: number, status?: number): void;
  /** Refuse TCP connections on the API port for `ms`; resolves when the port accepts connections again. */
  unreachableFor(ms: number): Promise<void>;
  /** Turns every fault off. */
  reset(): void;
}

export class FaultState implements Faults {
  duplicate = false;
  reorder = false;
  latencyMs = 0;
  private failures = { remaining: 0, status: 500 };

  constructor(private readonly goUnreachable: (ms: number) => Promise<void>) {}

  failNextPublishes(n: number, status = 500): void {
    this.failures = { remaining: Math.max(0, Math.floor(n)), status };
  }

  unreachableFor(ms: number): Promise<void> {
    return this.goUnreachable(ms);
  }

  reset(): void {
    this.duplicate = false;
    this.reorder = false;
    this.latencyMs = 0;
    this.failures = { remaining: 0, status: 500 };
  }

  /** Consumes one pending publish failure; returns its status, or undefined to publish normally. */
  takePublishFailure(): number | undefined {
    if (this.failures.remaining === 0) return undefined;
    this.failures.remaining--;
    return this.failures.status;
  }

  snapshot() {
    return {
      duplicate: this.duplicate,
      reorder: this.reorder,
      latencyMs: this.latencyMs,
      pendingPublishFailures: this.failures.remaining,
      failStatus: this.failures.status,
    };
  }
}

export function faultRoutes(faults: FaultState, log: Logger): Route[] {
  const path = "/v1.0-dev/faults";
  return [
    { methods: ["GET"], pattern: path, noLatency: true, handler: () => json(200, faults.snapshot()) },
    {
      methods: ["DELETE"],
      pattern: path,
      noLatency: true,
      handler: () => {
        faults.reset();
        return json(200, faults.snapshot());
      },
    },
    {
      methods: ["POST", "PUT"],
      pattern: path,
      noLatency: true,
      handler: async (ctx) => {
        const b = parseJsonOr((await ctx.body()).toString("utf8"), undefined);
        if (!isPlainObject(b)) throw malformed("body must be a JSON object");
        const bool = (k: string) => (typeof b[k] === "boolean" ? (b[k] as boolean) : undefined);
        const num = (k: string) => {
          if (b[k] === undefined) return undefined;
          if (typeof b[k] !== "number" || !Number.isFinite(b[k]) || (b[k] as number) < 0) {
            throw malformed(`${k} must be a non-negative number`);
          }
          return b[k] as number;
        };
        for (const k of ["duplicate", "reorder"]) {
          if (b[k] !== undefined && bool(k) === undefined) throw malformed(`${k} must be a boolean`);
        }
        const [latency, fail, status, down] = [
          "latencyMs",
          "failNextPublishes",
          "failStatus",
          "unreachableForMs",
        ].map(num);
        faults.duplicate = bool("duplicate") ?? faults.duplicate;
        faults.reorder = bool("reorder") ?? faults.reorder;
        faults.latencyMs = latency ?? faults.latencyMs;
        if (fail !== undefined) faults.failNextPublishes(fail, status);
        // The answer is still sent: only new connections are refused. Nobody awaits the outage, so a
        // failed re-listen (the port taken meanwhile) is logged here; unhandled, it would end `npm start`.
        if (down !== undefined && down > 0) {
          faults.unreachableFor(down).catch((error: unknown) => {
            log.error("the API port could not listen again after the unreachableForMs fault", { error });
          });
        }
        return json(200, faults.snapshot());
      },
    },
  ];
}

const malformed = (message: string) => new ApiError(400, "ERR_MALFORMED_REQUEST", message);
