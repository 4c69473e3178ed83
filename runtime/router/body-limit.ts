/**
 * The size cap of what daprd sends to the app (topic deliveries, job callbacks). daprd itself refuses
 * publishes over `dapr.io/http-max-request-size` (default 4 MiB, contract §7), so a single delivery
 * over the cap can never have come from a good publisher and can never succeed: the topic route drops
 * it (daprd dead-letters it) and the job route fails it (the job's bounded failure policy ends it),
 * without reading more than the cap. A bulk delivery holds up to `maxMessages` such messages, so its
 * cap is that many times larger.
 *
 * Not Hono's bodyLimit middleware: a route with a middleware goes through Hono's chain on every
 * request, a cost the delivery benchmark showed (see auth.ts), and an oversized body's log wants its
 * first bytes, which the middleware has already consumed. A Content-Length over the cap is refused
 * before a byte is read; a chunked body once the count passes it. The caller's answer closes the
 * connection, so the rest is not read to keep the socket alive either.
 */
import type { Context } from "hono";
import type { Logger } from "../log.js";

/** daprd's default `http-max-request-size` (`DefaultMaxRequestBodySize`, 4 MiB). */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;

/** How much of an oversized body the log shows. */
const EXCERPT_BYTES = 256;

/** The metadata headers daprd adds to a delivery (contract §3.1): what identifies the message. */
const ID_HEADERS = ["pubsubname", "__topic", "__partition", "__offset", "__key", "partitionkey"];

/**
 * The body as text, or undefined once it is known to exceed `maxBytes`; then what identifies the request
 * (route, size, content type, daprd's message ids, the first bytes) has been logged. Not an async
 * function: a body whose Content-Length is within the cap (every delivery daprd sends) is read with no
 * promise of our own around Hono's, a cost the delivery benchmark counts.
 */
export function readCapped(c: Context, maxBytes: number, log: Logger): Promise<string | undefined> {
  const declared = c.req.header("content-length");
  if (declared === undefined || c.req.header("transfer-encoding") !== undefined) {
    return readChunked(c, maxBytes, log);
  }
  if (Number(declared) <= maxBytes) return c.req.text();
  return excerpt(c.req.raw.body).then((first) => {
    logOversized(c, log, maxBytes, Number(declared), first);
    return undefined;
  });
}

/** A body without a (trusted) length: counted as it streams in, and left unread past the cap. */
async function readChunked(c: Context, maxBytes: number, log: Logger): Promise<string | undefined> {
  const body = c.req.raw.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    chunks.push(value);
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      const first = Buffer.concat(chunks.slice(0, 1)).subarray(0, EXCERPT_BYTES).toString("utf8");
      logOversized(c, log, maxBytes, `> ${maxBytes} (chunked, not read further)`, first);
      return undefined;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

function logOversized(
  c: Context,
  log: Logger,
  maxBytes: number,
  size: number | string,
  first: string | undefined,
) {
  const ids: Record<string, string> = {};
  for (const name of ID_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) ids[name] = bounded(value, EXCERPT_BYTES);
  }
  // The rest is not wanted: without this the server would read it all to keep the connection alive.
  c.header("connection", "close");
  log.warn("request body over the size limit (APP_MAX_REQUEST_BODY_BYTES); not read", {
    path: c.req.path,
    limitBytes: maxBytes,
    sizeBytes: size,
    contentType: c.req.header("content-type"),
    ...ids,
    excerpt: first,
  });
}

/** The body's first bytes; the rest is left unread. */
async function excerpt(body: ReadableStream<Uint8Array> | null): Promise<string | undefined> {
  if (body === null || body.locked) return undefined;
  const reader = body.getReader();
  try {
    const { value } = await reader.read();
    return value === undefined ? "" : Buffer.from(value).subarray(0, EXCERPT_BYTES).toString("utf8");
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** The longest text a log field gets from a value we received. */
export const MAX_LOGGED_CHARS = 300;

/** `text` cut to `max` characters, saying how long it was: a 4 MB value must not become a 4 MB log line. */
export function bounded(text: string, max = MAX_LOGGED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
