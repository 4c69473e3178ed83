/** Serve a Hono app on an ephemeral loopback port, so tests speak real HTTP to it. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";

export interface Served {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serveApp(app: Hono): Promise<Served> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let rpcIds = 0;

/**
 * One MCP `tools/call` over Streamable HTTP as raw JSON-RPC, the way a client sends it: for tests about what
 * the transport answers (status codes, drains, dropped connections), where an SDK client would hide it.
 */
export function postToolCall(
  url: string,
  token: string,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      ...headers,
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: ++rpcIds,
      method: "tools/call",
      params: { name, arguments: args },
    }),
    ...(signal ? { signal } : {}),
  });
}
