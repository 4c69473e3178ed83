import { loadConfig } from "../../config.js";
import { createDaprClient } from "../../dapr/client.js";
import { migrate } from "../../db/migrate.js";
import { groupLoaders } from "../../generated/groups.gen.js";
import { createLogger } from "../../log.js";
import { runMcpStdio } from "../../mcp/stdio.js";
import { Relay } from "../../outbox/relay-runner.js";
import { findGroupLoader, type RegisteredTool } from "../../registry.js";
import { type Command, parseOptions } from "../command.js";
import { connectDatabase } from "../database.js";

/** The MCP tools are the backend group's; the other groups' handlers (and their packages) are not loaded. */
async function loadTools(): Promise<readonly RegisteredTool[]> {
  const backend = await findGroupLoader(groupLoaders, "backend")?.();
  return backend?.tools ?? [];
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
    const tools = await loadTools();
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
