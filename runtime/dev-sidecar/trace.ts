/**
 * W3C trace context as daprd propagates it: the publish span is a child of the caller's
 * `traceparent`, and each delivery or job call gets a child span of the event's trace (contract §1.1,
 * §3.1). Spans are never exported; they only keep ids consistent so handlers can correlate logs.
 */
import { randomBytes } from "node:crypto";

export interface SpanContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const m = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId = "", spanId = "", flags = ""] = m;
  // "ff" is a forbidden version; all-zero ids are invalid.
  if (version === "ff" || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** A new span under `parent`, or a new sampled root span when there is none. */
export function childSpan(parent: SpanContext | undefined): SpanContext {
  return {
    traceId: parent?.traceId ?? randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    flags: parent?.flags ?? "01",
  };
}

export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${span.flags}`;
}
