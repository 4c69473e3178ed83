import { Hono } from "hono";
import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import { fakeMcpSetup } from "../../test/support/fake-mcp-setup.js";
import { createLogger, silentLogger } from "../log.js";
import { checkHostAndOrigin, DEFAULT_ALLOWED_HOSTS, hostMatcher, mountMcp } from "./http.js";

describe("mountMcp authentication", () => {
  // No database: none of these requests may get as far as looking a token up.
  const sql = (() => {
    throw new Error("the database must not be asked");
  }) as unknown as Sql;
  const app = new Hono();
  mountMcp(app, { sql, log: silentLogger, tools: [], setup: fakeMcpSetup() });
  const post = (authorization?: string) =>
    app.request("http://localhost/mcp", {
      method: "POST",
      headers: { host: "localhost", ...(authorization === undefined ? {} : { authorization }) },
    });

  it.each([
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["a bare token", `tb_${"x".repeat(43)}`],
    ["Bearer without a token", "Bearer"],
    ["a token with a space in it", "Bearer tb_a tb_b"],
  ])("answers %s with 401 and error=invalid_request (RFC 6750 §3.1)", async (_case, authorization) => {
    const response = await post(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="taskbeat", error="invalid_request"');
    expect(await response.json()).toMatchObject({
      error: "invalid_request",
      message: expect.stringContaining("Bearer"),
    });
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty one", "  "],
  ])("answers %s with 401 and no error code", async (_case, authorization) => {
    const response = await post(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="taskbeat"');
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });
});

describe("mountMcp when the database does not answer", () => {
  it("answers a token check that failed with 503, Retry-After and a JSON-RPC error, logged as one JSON line", async () => {
    // What postgres.js rejects with when the session was terminated under the query.
    const dropped = Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), {
      code: "CONNECTION_CLOSED",
    });
    const sql = (() => Promise.reject(dropped)) as unknown as Sql;
    const lines: string[] = [];
    const app = new Hono();
    // An application whose authentication asks the database, as any real one does.
    const setup = { ...fakeMcpSetup(), authenticate: (db: Sql) => db`select 1`.then(() => undefined) };
    mountMcp(app, { sql, log: createLogger({ write: (line) => lines.push(line) }), tools: [], setup });
    const response = await app.request("http://localhost/mcp", {
      method: "POST",
      headers: {
        host: "localhost",
        authorization: `Bearer tb_${"a".repeat(43)}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32603, message: expect.stringContaining("retry") },
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "error",
      msg: "token check failed",
      component: "mcp",
      error: { code: "CONNECTION_CLOSED" },
    });
  });
});

describe("checkHostAndOrigin", () => {
  const loopback = hostMatcher(DEFAULT_ALLOWED_HOSTS);

  it.each([
    ["localhost:3000", undefined],
    ["LOCALHOST", undefined],
    ["127.0.0.1:1", "http://127.0.0.1:5173"],
    ["[::1]:3000", "http://[::1]:3000"],
    ["localhost:3000", "https://localhost"],
  ])("lets Host %j with Origin %j through", (host, origin) => {
    expect(checkHostAndOrigin(host, origin, loopback)).toBeUndefined();
  });

  it.each([
    [undefined, undefined, "Host"],
    ["evil.example:3000", undefined, "Host"],
    // A name that merely starts like an allowed one, or smuggles one in as userinfo.
    ["localhost.evil.example", undefined, "Host"],
    ["localhost@evil.example", undefined, "Host"],
    ["evil.example/localhost", undefined, "Host"],
    ["localhost:3000", "http://evil.example", "Origin"],
    ["localhost:3000", "null", "Origin"],
    ["localhost:3000", "http://localhost@evil.example", "Origin"],
  ])("refuses Host %j with Origin %j, naming the %s", (host, origin, what) => {
    expect(checkHostAndOrigin(host, origin, loopback)).toMatch(new RegExp(`^${what} .* is not allowed\\.$`));
  });

  it("matches configured names exactly or, with *., their subdomains; * allows any", () => {
    const configured = hostMatcher([" MCP.example.com ", "*.svc.cluster.local"]);
    expect(configured("mcp.example.com")).toBe(true);
    expect(configured("backend.taskbeat.svc.cluster.local")).toBe(true);
    expect(configured("svc.cluster.local")).toBe(false);
    expect(configured("evil-svc.cluster.local")).toBe(false);
    expect(configured("localhost")).toBe(false);
    expect(hostMatcher(["*"])("anything.example")).toBe(true);
  });
});
