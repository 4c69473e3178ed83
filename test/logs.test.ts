/**
 * Logs as an operator reads them: JSON lines, each written while a request is handled carrying that
 * request's trace_id and span_id, and a database outage during an MCP call as one JSON line and a JSON-RPC
 * error (not a plain-text PostgresError stack and a bare 500). Real HTTP, the MCP SDK's client, real
 * PostgreSQL (and a closed port for the outage).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser, issueToken } from "../functions/_shared/auth/tokens.js";
import type { DaprClient } from "../runtime/dapr/client.js";
import { registry } from "../runtime/generated/registry.gen.js";
import { createLogger } from "../runtime/log.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import type { Registry } from "../runtime/registry.js";
import { createApp } from "../runtime/router/app.js";
import { Lifecycle } from "../runtime/router/lifecycle.js";
import { useTestDb } from "./support/db.js";
import { type Served, serveApp } from "./support/http.js";
import { freePort } from "./support/ports.js";

const db = useTestDb("logs");
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

function appWith(sql: Sql, lines: string[], groups = ["backend", "recurring"]) {
  return createApp({
    registry: registry as Registry,
    groups,
    sql,
    dapr: {} as DaprClient,
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    metrics: new RuntimeMetrics({ processMetrics: false }),
    lifecycle: new Lifecycle(),
  });
}

let token: string;
beforeAll(async () => {
  const user = await createUser(db.sql, { email: "logs@example.com", timeZone: "UTC" });
  token = await issueToken(db.sql, user.id);
});

describe("log lines", () => {
  const lines: string[] = [];
  let served: Served;
  beforeAll(async () => {
    served = await serveApp(appWith(db.sql, lines));
  });
  afterAll(async () => {
    await served?.close();
  });

  it("carry the MCP request's trace_id and the call's own span_id", async () => {
    const client = new Client({ name: "logs-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
        requestInit: {
          headers: { Authorization: `Bearer ${token}`, traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
        },
      }),
    );
    lines.length = 0;
    await client.callTool({ name: "add_task", arguments: { title: "Logged" } });
    await client.close();
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // At debug, the tool call logs its outcome.
    const call = logged.find((entry) => entry.msg === "tool call");
    expect(call).toMatchObject({ trace_id: TRACE, tool: "add_task" });
    expect(call?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(call?.span_id).not.toBe(CLIENT_SPAN);
    for (const entry of logged) expect(entry.trace_id, String(entry.msg)).toBe(TRACE);
  });

  it("carry a delivery's trace_id, from daprd's traceparent header", async () => {
    lines.length = 0;
    const response = await fetch(`${served.url}/events/recurring/task-completed`, {
      method: "POST",
      headers: {
        "content-type": "application/cloudevents+json",
        traceparent: `00-${TRACE}-${CLIENT_SPAN}-01`,
      },
      // A task.completed whose data fails the schema: dropped, with a warning.
      body: JSON.stringify({
        specversion: "1.0",
        id: "e-logs-1",
        source: "taskbeat",
        type: "taskbeat.task.completed.v1",
        datacontenttype: "application/json",
        data: { nope: true },
      }),
    });
    expect(await response.json()).toEqual({ status: "DROP" });
    const [warning] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warning).toMatchObject({ level: "warn", trace_id: TRACE, eventId: "e-logs-1" });
    expect(warning?.span_id).not.toBe(CLIENT_SPAN);
  });
});

describe("a database outage during an MCP call", () => {
  it("is one JSON log line and a JSON-RPC error, with no plain-text stack on stderr", async () => {
    const lines: string[] = [];
    // Nothing listens there: every query fails with ECONNREFUSED, as with the database down.
    const down = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/none`, {
      max: 1,
      connect_timeout: 2,
      onnotice: () => {},
    });
    const served = await serveApp(appWith(down, lines, ["backend"]));
    const consoleError = vi.spyOn(console, "error");
    const stderr = vi.spyOn(process.stderr, "write");
    try {
      const response = await fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
      });
      // 503 + Retry-After: the token check could not reach the database, the token may well be good.
      expect(response.status).toBe(503);
      const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string } };
      expect(body.jsonrpc).toBe("2.0");
      expect(body.error.code).toBe(-32603);
      expect(body.error.message).toMatch(/retry/i);
      expect(body.error.message).not.toMatch(/ECONNREFUSED|postgres|select/i);
      expect(lines).toHaveLength(1);
      const entry = JSON.parse(lines[0] as string) as {
        level: string;
        msg: string;
        error: { message: string };
      };
      expect(entry).toMatchObject({ level: "error", msg: "token check failed" });
      expect(entry.error.message).toBeTruthy();
      expect(consoleError).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
      stderr.mockRestore();
      await served.close();
      await down.end({ timeout: 1 });
    }
  });
});
