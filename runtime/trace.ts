/**
 * W3C trace context for the work one request does: a delivery, a job run, an MCP call. Each gets a new
 * span under the caller's `traceparent` (daprd's callback span, or the MCP client's), or a new trace when
 * there is none, and it is current (AsyncLocalStorage) for everything the request does: every log line
 * carries `trace_id` and `span_id`, and every outbox event written carries the span as its CloudEvent
 * `traceparent`, so the next hop continues the same trace (runtime/outbox/enqueue.ts). Spans are not
 * exported by the app; daprd exports its own, which these link up.
 *
 * Ids are made on first use: most deliveries log nothing and write no event, and their span then costs
 * one small object (the delivery benchmark's budget, BENCHMARKS.md). Not the dev sidecar's trace.ts:
 * `serve` must not load the development sidecar (test/layout.test.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
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

const storage = new AsyncLocalStorage<Span>();

/** The span of the request being handled; undefined outside one (start-up, the relay, a CLI command). */
export const currentSpan = (): Span | undefined => storage.getStore();

/** Runs `work` with `span` current, for everything it does, synchronously or not. */
export const runInSpan = <T>(span: Span, work: () => T): T => storage.run(span, work);
