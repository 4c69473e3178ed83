/**
 * daprd sends APP_API_TOKEN as `dapr-api-token` on every call to the app (contract §7.6) but not on
 * health probes, so only the Dapr-facing routes check it. The js-sdk never checks it at all.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

const digest = (value: string) => createHash("sha256").update(value).digest();

export function requireDaprToken(expected: string): MiddlewareHandler {
  // Compare fixed-length digests so the comparison time says nothing about the token.
  const want = digest(expected);
  return async (c, next) => {
    const got = c.req.header("dapr-api-token");
    if (got === undefined || !timingSafeEqual(digest(got), want)) {
      return c.json({ error: "missing or invalid dapr-api-token" }, 401);
    }
    await next();
  };
}
