/**
 * The backend group as an MCP client meets it: the real registry and router on a real port, a user with a
 * personal token, and the official SDK client connected with it. No sidecar: tools never call it (the relay
 * does, and it is not what these tests are about).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Sql } from "postgres";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import type { Registry } from "../../runtime/registry.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import { type Served, serveApp } from "./http.js";

export function serveBackend(
  sql: Sql,
  options: { metrics?: RuntimeMetrics; onEventsCommitted?: () => void } = {},
): Promise<Served> {
  return serveApp(
    createApp({
      registry: registry as Registry,
      groups: ["backend"],
      sql,
      dapr: {} as DaprClient,
      log: silentLogger,
      metrics: options.metrics ?? new RuntimeMetrics({ processMetrics: false }),
      lifecycle: new Lifecycle(),
      onEventsCommitted: options.onEventsCommitted ?? (() => {}),
    }),
  );
}

/** A new user and a personal token of theirs. */
export async function userToken(sql: Sql, email: string, timeZone = "UTC"): Promise<string> {
  const user = await createUser(sql, { email, timeZone });
  return issueToken(sql, user.id);
}

/** The official SDK client on `<url>/mcp`, sending the token as a configured client does. */
export async function connectClient(url: string, token: string, name = "test-assistant"): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}
