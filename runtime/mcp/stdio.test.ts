import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Sql } from "postgres";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { type FakeContext, fakeMcpSetup } from "../../test/support/fake-mcp-setup.js";
import { defineTool } from "../define.js";
import { silentLogger } from "../log.js";
import { runMcpStdio } from "./stdio.js";

// The fake setup never asks the database; the transport must not either.
const db = { sql: {} as Sql };
const token = `tb_${"s".repeat(43)}`;
const setup = fakeMcpSetup({ [token]: "stdio@example.com" });

const whoami = defineTool({
  name: "whoami",
  description: "Says who the token belongs to.",
  input: v.object({}),
  output: v.object({ email: v.string() }),
  annotations: { readOnlyHint: true },
  handle: (_input, ctx: FakeContext) => ({ email: ctx.caller.email }),
  summarize: (output) => `You are ${output.email}.`,
});
const tools = [{ name: "whoami", unit: whoami }];

/** The client's end of the pipes, framed the way the SDK's stdio transports frame messages. */
class PipeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();
  constructor(
    private readonly from: PassThrough,
    private readonly to: PassThrough,
  ) {}
  async start() {
    this.from.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message; message = this.buffer.readMessage()) {
        this.onmessage?.(message);
      }
    });
  }
  async send(message: JSONRPCMessage) {
    this.to.write(serializeMessage(message));
  }
  async close() {
    this.to.end();
    this.onclose?.();
  }
}

function pipes() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const written: string[] = [];
  stdout.on("data", (chunk: Buffer) => written.push(chunk.toString("utf8")));
  let errors = "";
  stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString("utf8");
  });
  return { stdin, stdout, stderr, written, errors: () => errors };
}

describe("runMcpStdio", () => {
  it("serves the token's user until the client closes stdin, with only protocol on stdout", async () => {
    const io = pipes();
    const exit = runMcpStdio({ sql: db.sql, log: silentLogger, tools, setup, token, ...io });
    const client = new Client({ name: "stdio-test", version: "0.0.0" });
    await client.connect(new PipeTransport(io.stdout, io.stdin));
    const result = await client.callTool({ name: "whoami" });
    expect(result.structuredContent).toEqual({ email: "stdio@example.com" });
    await client.close();
    expect(await exit).toBe(0);
    for (const line of io.written.join("").split("\n").filter(Boolean)) {
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    }
  });

  it("stops when its signal aborts", async () => {
    const io = pipes();
    const controller = new AbortController();
    const exit = runMcpStdio({
      sql: db.sql,
      log: silentLogger,
      tools,
      setup,
      token,
      signal: controller.signal,
      ...io,
    });
    const client = new Client({ name: "stdio-test", version: "0.0.0" });
    await client.connect(new PipeTransport(io.stdout, io.stdin));
    controller.abort();
    expect(await exit).toBe(0);
  });

  it.each([
    ["no token", undefined, "TASKBEAT_TOKEN is not set"],
    ["an empty token", "  ", "TASKBEAT_TOKEN is not set"],
    ["a bad token", `tb_${"z".repeat(43)}`, "TASKBEAT_TOKEN is unknown or revoked"],
  ])("exits 1 with a message on stderr given %s, serving nothing", async (_case, bad, message) => {
    const io = pipes();
    expect(await runMcpStdio({ sql: db.sql, log: silentLogger, tools, setup, token: bad, ...io })).toBe(1);
    expect(io.errors()).toContain(`taskbeat mcp: ${message}`);
    expect(io.written).toEqual([]);
  });
});
