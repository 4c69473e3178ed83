/**
 * The API port's request pipeline: the Origin/Host check (origin.ts), then in daprd's order: API token check (before routing, so unknown paths
 * need the token too), the latency fault, the route, and the service-invocation fallback for anything
 * unmatched (contract §0). Errors become `{"errorCode","message"}` replies.
 */
import type { IncomingMessage, RequestListener } from "node:http";
import type { Logger } from "../log.js";
import { ApiError, errorReply, matchRoute, type Reply, type Route, readBody, sleep, text } from "./http.js";
import { foreignRequest } from "./origin.js";

export interface DispatchOptions {
  routes: readonly Route[];
  apiToken: string | undefined;
  /** Host names accepted in `Host` (any port); undefined accepts any. An `Origin` is always refused. */
  allowedHosts?: readonly string[] | undefined;
  latencyMs: () => number;
  /** True during the unreachable fault: answers in progress close their connection. */
  closeConnections: () => boolean;
  log: Logger;
}

export function createDispatcher(options: DispatchOptions): RequestListener {
  return async (req, res) => {
    let reply: Reply;
    try {
      reply = await handle(options, req);
    } catch (err) {
      if (!(err instanceof ApiError))
        options.log.error("sidecar request failed", { error: err, url: req.url });
      reply = errorReply(err instanceof ApiError ? err : new ApiError(500, "ERR_INTERNAL", "internal error"));
    }
    const headers: Record<string, string> = { ...reply.headers };
    if (options.closeConnections()) headers.connection = "close";
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  };
}

async function handle(options: DispatchOptions, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://sidecar");
  const method = req.method ?? "GET";
  const foreign = foreignRequest(req.headers, options.allowedHosts);
  if (foreign !== undefined) throw new ApiError(403, "ERR_FORBIDDEN_ORIGIN", foreign);
  let route: Route | undefined;
  let params: Record<string, string> | undefined;
  for (const r of options.routes) {
    params = r.methods.includes(method) ? matchRoute(r, url.pathname) : undefined;
    if (params) {
      route = r;
      break;
    }
  }
  if (
    options.apiToken !== undefined &&
    !route?.tokenExempt &&
    req.headers["dapr-api-token"] !== options.apiToken
  ) {
    return text(401, "invalid api token");
  }
  if (!route?.noLatency) await sleep(options.latencyMs());
  if (!route || !params) {
    // daprd's fallback is service invocation, which the local sidecar does not implement.
    throw req.headers["dapr-app-id"] === undefined
      ? new ApiError(
          404,
          "ERR_DIRECT_INVOKE",
          "failed getting app id either from the URL path or the header dapr-app-id",
        )
      : new ApiError(500, "ERR_DIRECT_INVOKE", "service invocation is not supported by the local sidecar");
  }
  let body: Promise<Buffer> | undefined;
  return route.handler({ method, url, headers: req.headers, params, body: () => (body ??= readBody(req)) });
}
