import postgres, { type Sql } from "postgres";
import { type Config, loadConfig } from "../../config.js";
import { createDaprClient } from "../../dapr/client.js";
import { reconnectDelaySeconds } from "../../db/client.js";
import { migrate } from "../../db/migrate.js";
import type { McpSetup } from "../../define.js";
import { toolGroups } from "../../generated/commands.gen.js";
import { groupLoaders } from "../../generated/groups.gen.js";
import { createLogger, type Logger } from "../../log.js";
import { runMcpStdio } from "../../mcp/stdio.js";
import { Relay } from "../../outbox/relay-runner.js";
import { findGroupLoader, type RegisteredTool } from "../../registry.js";
import { type Command, parseOptions, UsageError } from "../command.js";
import { connectDatabase, joinLocalDatabase } from "../database.js";
import { printClientConfig } from "../local/client-config.js";
import { type LocalStack, startLocalStack } from "../local/stack.js";

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
       taskbeat mcp --config claude-desktop|claude-code|cursor|vscode [--token <token>] [--email <email>]

Serves taskbeat's MCP tools over standard input and output, for MCP clients that start their
servers as processes. The user is the one TASKBEAT_TOKEN belongs to (a token from "taskbeat users
create" or "taskbeat users token"). Standard output carries only MCP messages; logs go to stderr.

Without DATABASE_URL it works on the embedded database in TASKBEAT_HOME (default
$XDG_DATA_HOME/taskbeat, else ~/.local/share/taskbeat: the same from any directory). If no other
process serves that database, this one does, and does the background work too (reminder mail,
recurring tasks, the outbox relay: the local sidecar on DAPR_HTTP_PORT and the app on PORT), until
it exits; a "taskbeat start" or another "taskbeat mcp" on the same data then takes over.

With DATABASE_URL, events are published through the sidecar on DAPR_HTTP_PORT right after each
change; while none answers they wait in the outbox for the relay of the running service.

--config <client> prints the entry to paste into that client's MCP configuration (absolute paths,
no dependence on the working directory) and exits. It issues a new token labelled with the client
for --email (default you@localhost), unless --token gives one.

Environment: TASKBEAT_TOKEN (required), DATABASE_URL, TASKBEAT_HOME, DAPR_HTTP_PORT, DAPR_API_TOKEN,
PORT, LOG_LEVEL`,

  async run(argv) {
    const { values } = parseOptions(argv, {
      config: { type: "string" },
      token: { type: "string" },
      email: { type: "string" },
    });
    if (values.config !== undefined) return await printClientConfig(values);
    if (values.token !== undefined || values.email !== undefined) {
      throw new UsageError("--token and --email go with --config");
    }
    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL });
    const { tools, setup } = await loadTools();
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGTERM", onSignal).once("SIGINT", onSignal);
    const session = await openSession(config, log);
    try {
      await migrate(session.sql);
      // The background work waits for a token that works: a misconfigured client starts nothing.
      const token = config.TASKBEAT_TOKEN?.trim();
      if (token && (await setup.authenticate(session.sql, token)) !== undefined) session.allowBackground();
      const code = await runMcpStdio({
        sql: session.sql,
        log,
        tools,
        setup,
        token: config.TASKBEAT_TOKEN,
        onEventsCommitted: session.onEventsCommitted,
        signal: stop.signal,
      });
      if (code !== 0) process.stderr.write(`taskbeat mcp: (database: ${session.description})\n`);
      return code;
    } catch (error) {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)} (database: ${session.description})`,
      );
    } finally {
      process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
      await session.close();
    }
  },
};

interface Session {
  sql: Sql;
  description: string;
  onEventsCommitted: () => void;
  /** Lets the background work start (now, or whenever this process comes to serve the database). */
  allowBackground(): void;
  close(): Promise<void>;
}

/**
 * The database and the relay of this stdio session. On the embedded database the process joins local
 * mode (../database.ts): while it serves the database it runs the background work (local/stack.ts) and
 * its commits are relayed by that; while another process does, its own relay publishes to that one's
 * sidecar (found through the shared credentials), and the relay-outbox job there picks up the rest.
 */
async function openSession(config: Config, log: Logger): Promise<Session> {
  if (config.DATABASE_URL) {
    const db = await connectDatabase(config, log);
    const relay = new Relay(db.sql, createDaprClient(config, log), {
      log: log.child({ component: "relay" }),
    });
    return {
      sql: db.sql,
      description: db.description,
      onEventsCommitted: () => relay.kick(),
      allowBackground: () => {},
      async close() {
        await relay.close();
        await db.close();
      },
    };
  }
  let stack: LocalStack | undefined;
  let closing = false;
  let allowed: () => void = () => {};
  const allowedToRun = new Promise<void>((resolve) => {
    allowed = resolve;
  });
  const database = await joinLocalDatabase(config, log, {
    role: "mcp",
    onLead: async (db) => {
      // In the background: the stdio session does not wait for it.
      void (async () => {
        await allowedToRun;
        if (closing) return;
        const local: Config = { ...config, DATABASE_URL: db.url, DATABASE_POOL_MAX: 1 };
        const started = await startLocalStack({
          config: local,
          log,
          home: db.home,
          credentials: db.credentials,
        });
        if (closing) return void (await started.close());
        stack = started;
        await db.announce({ appUrl: started.app.url, sidecarUrl: started.sidecar.url });
      })().catch((error) =>
        log.error("the background work could not start; reminders wait for another taskbeat", { error }),
      );
    },
  });
  const sql = postgres(database.url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "taskbeat mcp" },
    backoff: reconnectDelaySeconds,
  });
  const daprApiToken = config.DAPR_API_TOKEN ?? database.credentials.daprApiToken;
  const relay = new Relay(sql, createDaprClient({ ...config, DAPR_API_TOKEN: daprApiToken }, log), {
    log: log.child({ component: "relay" }),
  });
  return {
    sql,
    description: database.description,
    onEventsCommitted: () => (stack ? stack.app.onEventsCommitted() : relay.kick()),
    allowBackground: () => allowed(),
    async close() {
      closing = true;
      allowed();
      await relay.close();
      await sql.end({ timeout: 5 });
      await stack?.close();
      await database.close();
    },
  };
}
