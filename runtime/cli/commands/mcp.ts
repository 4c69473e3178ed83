import { loadConfig } from "../../config.js";
import { createDaprClient } from "../../dapr/client.js";
import { migrate } from "../../db/migrate.js";
import type { McpSetup } from "../../define.js";
import { toolGroups } from "../../generated/commands.gen.js";
import { groupLoaders } from "../../generated/groups.gen.js";
import { createLogger } from "../../log.js";
import { runMcpStdio } from "../../mcp/stdio.js";
import { Relay } from "../../outbox/relay-runner.js";
import { findGroupLoader, type RegisteredTool } from "../../registry.js";
import { type Command, parseOptions } from "../command.js";
import { connectDatabase } from "../database.js";

/** The groups that serve tools, and no other (their handlers and packages are not loaded). */
async function loadTools(): Promise<{ tools: readonly RegisteredTool[]; setup: McpSetup }> {
  const groups = await Promise.all(toolGroups.map((group) => findGroupLoader(groupLoaders, group)?.()));
  const tools = groups.flatMap((group) => group?.tools ?? []);
  const setup = groups.flatMap((group) => group?.setups ?? []).find((s) => s.unit.mcp)?.unit.mcp;
  if (!setup)
    throw new Error("no <name>.setup.ts defines mcp (authentication), so there is nothing to serve");
  return { tools, setup };
}

export const mcp: Command = {
  help: `Usage: taskbeat mcp

Serves taskbeat's MCP tools over standard input and output, for MCP clients that start their
servers as processes. The user is the one TASKBEAT_TOKEN belongs to (a token from "taskbeat users
create" or "taskbeat users token"). Standard output carries only MCP messages; logs go to stderr.

Events are published through the sidecar on DAPR_HTTP_PORT right after each change (the one of a
running "taskbeat start", by default); while none answers they wait in the outbox for the relay.

Environment: TASKBEAT_TOKEN (required), DATABASE_URL (else the embedded database in TASKBEAT_HOME),
DAPR_HTTP_PORT, DAPR_API_TOKEN, LOG_LEVEL`,

  async run(argv) {
    parseOptions(argv, {});
    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL });
    const { tools, setup } = await loadTools();
    const db = await connectDatabase(config, log);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
    const relay = new Relay(db.sql, createDaprClient(config, log), {
      log: log.child({ component: "relay" }),
    });
    try {
      await migrate(db.sql);
      return await runMcpStdio({
        sql: db.sql,
        log,
        tools,
        setup,
        token: config.TASKBEAT_TOKEN,
        onEventsCommitted: () => relay.kick(),
        signal: stop.signal,
      });
    } finally {
      process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
      await relay.close();
      await db.close();
    }
  },
};
