/**
 * The small HTTP layer of the local sidecar: routes declared as data, handlers that return a `Reply`
 * or throw an `ApiError`, and the daprd conventions every endpoint shares (contract §0): errors are
 * `{"errorCode","message"}` JSON, success without a body is 204, metadata comes only from
 * `metadata.*` query parameters.
 */
import type { IncomingMessage } from "node:http";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Extra top-level fields (bulk publish adds `failedEntries`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export const empty = (status = 204, headers?: Record<string, string>): Reply => ({ status, headers });

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body: JSON.stringify(value),
  headers: { "content-type": "application/json", ...headers },
});

export const text = (status: number, body: string): Reply => ({
  status,
  body,
  headers: { "content-type": "text/plain; charset=utf-8" },
});

export function errorReply(err: ApiError): Reply {
  return json(err.status, { errorCode: err.errorCode, message: err.message, ...err.extra });
}

export interface RequestContext {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  params: Record<string, string>;
  /** The request body; read once, on demand. */
  body(): Promise<Buffer>;
}

export interface Route {
  methods: string[];
  /** Segments: literal, `:name` (one segment, may be empty), or a final `*name` (the rest, may be empty). */
  pattern: string;
  handler: (ctx: RequestContext) => Promise<Reply> | Reply;
  /** daprd exempts only the health endpoints from `dapr-api-token` (contract §0). */
  tokenExempt?: boolean;
  /** Not slowed by the latency fault (the fault endpoint itself). */
  noLatency?: boolean;
}

/** Matches a raw (still percent-encoded) path; returns decoded params. */
export function matchRoute(route: Route, rawPath: string): Record<string, string> | undefined {
  const pattern = route.pattern.split("/").slice(1);
  const path = rawPath.split("/").slice(1);
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as string;
    if (seg.startsWith("*")) {
      params[seg.slice(1)] = safeDecode(path.slice(i).join("/"));
      return params;
    }
    const actual = path[i];
    if (actual === undefined) return undefined;
    if (seg.startsWith(":")) params[seg.slice(1)] = safeDecode(actual);
    else if (seg !== actual) return undefined;
  }
  return path.length === pattern.length ? params : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** daprd's default `--max-body-size` is 4 MiB. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, "ERR_BODY_TOO_LARGE", `request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `metadata.<k>=<v>` query parameters; first value wins, prefix is case-sensitive (contract §0). */
export function metadataFromQuery(url: URL): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.startsWith("metadata.") && !(key.slice(9) in metadata)) metadata[key.slice(9)] = value;
  }
  return metadata;
}

/** Go's `strconv.ParseBool`. */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** The media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });

/** Waits for every promise to settle, or `ms`, whichever comes first; the timer does not outlive the wait. */
export async function settleWithin(promises: Iterable<Promise<unknown>>, ms: number): Promise<void> {
  const settled = new AbortController();
  await Promise.race([Promise.allSettled(promises).then(() => settled.abort()), sleep(ms, settled.signal)]);
  settled.abort();
}
