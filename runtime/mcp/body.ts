/**
 * The JSON-RPC body of a POST to `/mcp`, read in one piece. Left to itself, the SDK's transport reads
 * the body as a web ReadableStream, which @hono/node-server has to build from the Node request
 * (`Readable.toWeb`) for every call: together ~10 % of a small tool call's CPU. `Request.text()` takes
 * node-server's direct path instead, and the SDK accepts the result as `parsedBody`.
 *
 * Only a body whose declared Content-Length is within the SDK's own limit is read here; anything else
 * (no length, too long, not JSON, a read that fails) goes to the SDK as before, so its answers (413,
 * 400 "Parse error", 415…) stay exactly what they were.
 */

/** The SDK transport's default `maxRequestBodySize` (4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type ReadBody = { parsedBody: unknown } | { request: Request };

export async function readJsonBody(request: Request): Promise<ReadBody> {
  const length = Number(request.headers.get("content-length") ?? Number.NaN);
  if (!Number.isSafeInteger(length) || length <= 0 || length > MAX_BODY_BYTES) return { request };
  let text = "";
  try {
    text = await request.text();
    return { parsedBody: JSON.parse(text) };
  } catch {
    // The body is spent: hand the SDK a copy of what arrived, and let it answer as it always has.
    return {
      request: new Request(request.url, { method: request.method, headers: request.headers, body: text }),
    };
  }
}
