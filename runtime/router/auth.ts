/**
 * daprd sends APP_API_TOKEN as `dapr-api-token` on every call to the app (contract §7.6) but not on
 * health probes, so only the Dapr-facing routes check it. The js-sdk never checks it at all.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";

const digest = (value: string) => createHash("sha256").update(value).digest();

type RouteHandler = (c: Context) => Response | Promise<Response>;

/**
 * Wraps a Dapr-facing route's handler in the token check (the identity when no token is configured).
 * A wrapper rather than a middleware: a route with a single handler skips Hono's middleware chain,
 * a per-request cost that showed in the delivery benchmark.
 */
export function daprTokenGuard(expected: string | undefined): (handler: RouteHandler) => RouteHandler {
  // daprd never sends Origin; a browser does on every cross-origin request (and same-origin POSTs), so a
  // web page's "simple" request (text/plain) never reaches a handler, with or without a token.
  const fromBrowser = (c: Context) =>
    c.req.header("origin") === undefined
      ? undefined
      : c.json({ error: "requests from web pages (an Origin header) are refused" }, 403);
  if (expected === undefined) return (handler) => (c) => fromBrowser(c) ?? handler(c);
  // Compare fixed-length digests so the comparison time says nothing about the token.
  const want = digest(expected);
  return (handler) => (c) => {
    const refused = fromBrowser(c);
    if (refused) return refused;
    const got = c.req.header("dapr-api-token");
    if (got === undefined || !timingSafeEqual(digest(got), want)) {
      return c.json({ error: "missing or invalid dapr-api-token" }, 401);
    }
    return handler(c);
  };
}
