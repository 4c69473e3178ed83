/**
 * MCP Streamable HTTP at `/mcp`, stateless: every POST gets a fresh server and transport, so any
 * replica can answer any request and nothing lives between requests. In front of it, in this order:
 * Host/Origin against an allow-list (a web page that rebinds its DNS name to 127.0.0.1 must not reach
 * a local taskbeat: 403), then the bearer token (401 with `WWW-Authenticate`, plain HTTP rather than a
 * JSON-RPC error, so clients know to ask for credentials; see `unauthorized`). A token the database
 * could not check (a dropped connection) is 503 with Retry-After and a JSON-RPC error, logged as one line.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context, Hono } from "hono";
import type { Sql } from "postgres";
import type { McpSetup } from "../define.js";
import { type Logger, tracedLogger } from "../log.js";
import type { RegisteredTool } from "../registry.js";
import type { Lifecycle } from "../router/lifecycle.js";
import { Span } from "../trace.js";
import { DEFAULT_ALLOWED_HOSTS } from "./allowed-hosts.js";
import { readJsonBody } from "./body.js";
import { compileTools } from "./schema.js";
import { createMcpServer, type OnToolCall } from "./server.js";

export { DEFAULT_ALLOWED_HOSTS };

export interface MountMcpOptions {
  sql: Sql;
  log: Logger;
  tools: readonly RegisteredTool[];
  /** The application's authentication and tool context. */
  setup: McpSetup;
  /**
   * Host names (any port) that may appear in `Host` and in a present `Origin`; `*.example.com`
   * matches subdomains, `*` disables the check (only behind a proxy that enforces its own).
   */
  allowedHosts?: readonly string[];
  /** Called after a tool's transaction committed outbox events, so the relay publishes right away. */
  onEventsCommitted?: () => void;
  /** Told of every answered tool call, for the tool metrics. */
  onToolCall?: OnToolCall;
  /** Defaults to `/mcp`. */
  path?: string;
  /** The app's lifecycle: requests in flight delay shutdown, and none is started while draining. */
  lifecycle?: Pick<Lifecycle, "track" | "isDraining">;
}

export function mountMcp(app: Hono, options: MountMcpOptions): void {
  // Derive and check every tool's schemas now: a tool without field descriptions stops the start.
  compileTools(options.tools);
  const allowed = hostMatcher(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS);
  const log = options.log.child({ component: "mcp" });
  const { setup } = options;
  const unauthorized = (c: Context, failure: AuthFailure) =>
    refuse(c, failure, setup.tokenHelp, setup.challenge?.() ?? {});

  const serve = async (c: Context, log: Logger, span: Span) => {
    const header = c.req.header("authorization")?.trim() ?? "";
    if (header === "") return unauthorized(c, "missing");
    const token = /^Bearer[ ]+(\S+)$/i.exec(header)?.[1];
    if (token === undefined) return unauthorized(c, "invalid_request");
    let principal: unknown;
    try {
      principal = await setup.authenticate(options.sql, token);
    } catch (error) {
      // The database did not answer (a dropped connection, a failover): the token may well be good,
      // so not 401; the pool reconnects by itself, and the client should simply retry.
      log.error("token check failed", { error });
      return unavailable(c, "taskbeat could not reach its database to check the token; retry in a moment.");
    }
    if (principal === undefined) return unauthorized(c, "invalid_token");
    // Stateless: there is no server-initiated stream to GET and no session to DELETE.
    if (c.req.method !== "POST") {
      c.header("Allow", "POST");
      const message = "This MCP endpoint is stateless: POST only.";
      return c.json({ error: "method_not_allowed", message }, 405);
    }
    const ctx = setup.context(
      {
        sql: options.sql,
        log: log.child({ user: setup.describe(principal) }),
        span,
        ...(options.onEventsCommitted ? { onEventsCommitted: options.onEventsCommitted } : {}),
      },
      principal,
    ) as { log: Logger };
    const server = createMcpServer(options.tools, setup, ctx, options.onToolCall);
    server.onerror = (error) => ctx.log.warn("mcp protocol error", { error });
    // JSON responses: every answer is complete when the request ends, so nothing is streamed.
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    const body = await readJsonBody(c.req.raw);
    await server.connect(transport);
    try {
      return "parsedBody" in body
        ? await transport.handleRequest(c.req.raw, { parsedBody: body.parsedBody })
        : await transport.handleRequest(body.request);
    } finally {
      await server.close();
    }
  };

  app.all(options.path ?? "/mcp", async (c) => {
    const refusal = checkHostAndOrigin(c.req.header("host"), c.req.header("origin"), allowed);
    if (refusal) return c.json({ error: "forbidden", message: refusal }, 403);
    // 503 lets the client retry, on another replica, rather than start a write the pool close cuts off.
    if (options.lifecycle?.isDraining) {
      c.header("Retry-After", "1");
      return c.json({ error: "unavailable", message: "taskbeat is shutting down; retry shortly." }, 503);
    }
    // The call's span, a child of the client's traceparent if it sent one: every line logged for the
    // call carries it, and the outbox events its tools write continue its trace.
    const span = new Span(c.req.header("traceparent"), c.req.header("tracestate"));
    const callLog = tracedLogger(log, span);
    const guarded = async () => {
      try {
        return await serve(c, callLog, span);
      } catch (error) {
        // The tools answer their own failures (INTERNAL_ERROR results); this is anything around them.
        callLog.error("mcp request failed", { error });
        return rpcError(c, 500, "taskbeat failed to handle the request; retry in a moment.");
      }
    };
    return options.lifecycle ? options.lifecycle.track(guarded) : guarded();
  });
}

/**
 * A JSON-RPC error (-32603, internal error) for a request taskbeat could not handle, as an MCP client
 * expects on a non-2xx answer; `id` is null as the request was not read (or not understood) yet.
 */
function rpcError(c: Context, status: 500 | 503, message: string) {
  return c.json({ jsonrpc: "2.0", id: null, error: { code: -32603, message } }, status);
}

/** 503 with Retry-After: a dependency (the database) did not answer; another try will likely work. */
function unavailable(c: Context, message: string) {
  c.header("Retry-After", "1");
  return rpcError(c, 503, message);
}

type AuthFailure = "missing" | "invalid_request" | "invalid_token";

const authMessage = (failure: AuthFailure, help: McpSetup["tokenHelp"]): string =>
  failure === "missing"
    ? `Send \`Authorization: Bearer <token>\`; ${help.missing}`
    : failure === "invalid_request"
      ? "The Authorization header must be `Bearer <token>`."
      : `The bearer token is unknown or revoked; ${help.invalid}`;

/**
 * RFC 6750 §3: no error code when no credentials were sent, invalid_request for a header that is not
 * `Bearer <token>` (Basic, a bare token…), invalid_token for a token we do not know. §3.1 suggests 400
 * for invalid_request; 401 is what makes an MCP client ask for credentials rather than give up.
 */
function refuse(
  c: Context,
  failure: AuthFailure,
  help: McpSetup["tokenHelp"],
  params: Readonly<Record<string, string>>,
) {
  const error = failure === "missing" ? "" : `, error="${failure}"`;
  // The setup's params (RFC 9728 resource_metadata, say) are quoted-strings: `"` and `\` escaped.
  const extra = Object.entries(params)
    .map(([name, value]) => `, ${name}="${value.replace(/["\\]/g, "\\$&")}"`)
    .join("");
  c.header("WWW-Authenticate", `Bearer realm="taskbeat"${error}${extra}`);
  const code = failure === "missing" ? "unauthorized" : failure;
  return c.json({ error: code, message: authMessage(failure, help) }, 401);
}

type HostMatcher = (hostname: string) => boolean;

export function hostMatcher(patterns: readonly string[]): HostMatcher {
  const entries = patterns.map((pattern) => pattern.trim().toLowerCase()).filter(Boolean);
  if (entries.includes("*")) return () => true;
  const exact = new Set(entries.filter((entry) => !entry.startsWith("*.")));
  const suffixes = entries.filter((entry) => entry.startsWith("*.")).map((entry) => entry.slice(1));
  return (hostname) => exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix));
}

/** Why the request is refused, or undefined. Browsers always send Origin on such requests; CLIs need not. */
export function checkHostAndOrigin(
  host: string | undefined,
  origin: string | undefined,
  allowed: HostMatcher,
): string | undefined {
  const hostname = HOST_HEADER.exec(host ?? "")?.[1]?.toLowerCase();
  if (hostname === undefined || !allowed(hostname))
    return `Host ${JSON.stringify(host ?? "")} is not allowed.`;
  if (origin === undefined) return undefined;
  // An unparsable Origin, including the opaque "null", is refused.
  const originHost = URL.canParse(origin) ? new URL(origin).hostname.toLowerCase() : "";
  if (!originHost || !allowed(originHost)) return `Origin ${JSON.stringify(origin)} is not allowed.`;
  return undefined;
}

// A name or bracketed IPv6 address, then an optional port; nothing else (no userinfo, no path).
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;
