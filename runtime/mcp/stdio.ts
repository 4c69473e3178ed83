/**
 * `taskbeat mcp`: the MCP server over stdin/stdout, for clients that start their servers as
 * processes. The user is fixed for the process by `TASKBEAT_TOKEN`, checked before anything is
 * served. stdout carries only protocol messages; logs go to stderr.
 */
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Sql } from "postgres";
import type { McpSetup } from "../define.js";
import type { Logger } from "../log.js";
import type { RegisteredTool } from "../registry.js";
import { createMcpServer } from "./server.js";

export interface McpStdioOptions {
  sql: Sql;
  log: Logger;
  tools: readonly RegisteredTool[];
  /** The application's authentication and tool context. */
  setup: McpSetup;
  /** The value of `TASKBEAT_TOKEN`. */
  token: string | undefined;
  onEventsCommitted?: () => void;
  /** Stops serving (e.g. on SIGTERM); closing stdin does too. */
  signal?: AbortSignal;
  stdin?: Readable;
  stdout?: Writable;
  /** Where a token problem is explained; process.stderr by default. */
  stderr?: Writable;
}

/** Serves until stdin closes; resolves to the exit code (1, with a message on stderr, for a bad token). */
export async function runMcpStdio(options: McpStdioOptions): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const token = options.token?.trim();
  if (!token) {
    stderr.write(`taskbeat mcp: TASKBEAT_TOKEN is not set; ${options.setup.tokenHelp.missing}\n`);
    return 1;
  }
  const { setup } = options;
  const principal = await setup.authenticate(options.sql, token);
  if (principal === undefined) {
    stderr.write(`taskbeat mcp: TASKBEAT_TOKEN is unknown or revoked; ${setup.tokenHelp.invalid}\n`);
    return 1;
  }
  const caller = setup.describe(principal);
  const log = options.log.child({ component: "mcp", transport: "stdio", user: caller });
  const ctx = setup.context(
    {
      sql: options.sql,
      log,
      ...(options.onEventsCommitted ? { onEventsCommitted: options.onEventsCommitted } : {}),
    },
    principal,
  ) as { log: Logger };
  const server = createMcpServer(options.tools, setup, ctx);
  server.onerror = (error) => log.warn("mcp protocol error", { error });
  const stdin = options.stdin ?? process.stdin;
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  await server.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
  log.info("serving MCP over stdio", { caller });
  // The SDK's transport does not notice the end of stdin; the client closing it means "done".
  const stop = () => void server.close();
  stdin.once("end", stop);
  stdin.once("close", stop);
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener("abort", stop, { once: true });
  await closed;
  stdin.off("end", stop);
  stdin.off("close", stop);
  options.signal?.removeEventListener("abort", stop);
  return 0;
}
