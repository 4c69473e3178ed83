/**
 * The runtime's part of RFC 9728 §5.1, with no application behind it: a setup's `challenge` params are
 * added to every 401's `WWW-Authenticate`, as quoted-strings, beside the error code; without one the
 * header is as before.
 */
import { Hono } from "hono";
import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../runtime/log.js";
import { mountMcp } from "../../runtime/mcp/http.js";
import { fakeMcpSetup } from "../support/fake-mcp-setup.js";

const sql = {} as Sql;

function appWith(challenge?: () => Record<string, string>) {
  const app = new Hono();
  mountMcp(app, {
    sql,
    log: silentLogger,
    tools: [],
    setup: { ...fakeMcpSetup(), ...(challenge ? { challenge } : {}) },
  });
  return (authorization?: string) =>
    app.request("http://localhost/mcp", {
      method: "POST",
      headers: { host: "localhost", ...(authorization ? { authorization } : {}) },
    });
}

describe("the 401 challenge", () => {
  it("carries the setup's params, with and without an error code", async () => {
    const post = appWith(() => ({
      resource_metadata: "https://tasks.example/.well-known/oauth-protected-resource/mcp",
    }));
    expect((await post()).headers.get("www-authenticate")).toBe(
      'Bearer realm="taskbeat", resource_metadata="https://tasks.example/.well-known/oauth-protected-resource/mcp"',
    );
    expect((await post("Bearer nope")).headers.get("www-authenticate")).toBe(
      'Bearer realm="taskbeat", error="invalid_token", resource_metadata="https://tasks.example/.well-known/oauth-protected-resource/mcp"',
    );
  });

  it("escapes quotes and backslashes in a param", async () => {
    const post = appWith(() => ({ note: 'a "b" \\c' }));
    expect((await post()).headers.get("www-authenticate")).toBe(
      'Bearer realm="taskbeat", note="a \\"b\\" \\\\c"',
    );
  });

  it("is unchanged without a challenge", async () => {
    expect((await appWith()()).headers.get("www-authenticate")).toBe('Bearer realm="taskbeat"');
  });
});
