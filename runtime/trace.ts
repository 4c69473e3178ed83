/**
 * W3C trace context for the work one request does: a delivery, a job run, an MCP call. Each gets a new
 * span under the caller's `traceparent` (daprd's callback span, or the MCP client's), or a new trace when
 * there is none. The span travels explicitly, in the handler's context (`ctx.span`): the request's logger
 * carries its `trace_id` and `span_id` (`tracedLogger`), and the outbox events the handler writes carry it
 * as their CloudEvent `traceparent` (runtime/outbox/enqueue.ts), so the next hop continues the same trace.
 * Spans are not exported by the app; daprd exports its own, which these link up.
 *
 * Explicit rather than AsyncLocalStorage: on Node 20 a storage once entered makes every promise in the
 * process pay an async hook, ~13 % of a delivery (BENCHMARKS.md). Ids are made on first use: most
 * deliveries log nothing and write no event, and their span then costs one small object. Not the dev
 * sidecar's trace.ts: `serve` must not load the development sidecar (test/layout.test.ts).
 */
import { randomFillSync } from "node:crypto";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ALL_ZERO = /^0+$/;

interface Parent {
  traceId: string;
  flags: string;
}

/** The trace id and flags of a valid `traceparent`; undefined for a missing or invalid one. */
export function parseTraceparent(header: string | undefined): (Parent & { spanId: string }) | undefined {
  const m = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId = "", spanId = "", flags = ""] = m;
  // "ff" is a forbidden version; all-zero ids are invalid (W3C trace context §3.2).
  if (version === "ff" || ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

// Random ids from a pooled buffer: one randomFillSync per 256 ids rather than one call per id.
const pool = Buffer.alloc(2048);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** One unit of work's span: a child of `incoming` (a traceparent header), or a new sampled root. */
export class Span {
  #incoming: string | undefined;
  #parent: Parent | undefined;
  #spanId: string | undefined;
  readonly tracestate: string | undefined;

  constructor(incoming: string | undefined, tracestate?: string) {
    this.#incoming = incoming;
    this.tracestate = tracestate === "" ? undefined : tracestate;
  }

  #resolve(): Parent {
    this.#parent ??= parseTraceparent(this.#incoming) ?? { traceId: randomHex(16), flags: "01" };
    return this.#parent;
  }

  get traceId(): string {
    return this.#resolve().traceId;
  }

  get spanId(): string {
    this.#spanId ??= randomHex(8);
    return this.#spanId;
  }

  /** This span as a `traceparent`: what the next hop is a child of. */
  get traceparent(): string {
    const { traceId, flags } = this.#resolve();
    return `00-${traceId}-${this.spanId}-${flags}`;
  }
}

/** The fields a log line written for `span`'s request carries. */
export const traceFields = (span: Span): { trace_id: string; span_id: string } => ({
  trace_id: span.traceId,
  span_id: span.spanId,
});
