import { type Config, loadConfig } from "../../config.js";
import { createLogger, type Logger } from "../../log.js";
import { closeOnSignals } from "../../server.js";
import { type Command, parseOptions } from "../command.js";
import { joinLocalDatabase, type LocalDatabase } from "../database.js";
import { localCredentials } from "../local/credentials.js";
import { resolveLocalHome } from "../local/home.js";
import { watchParent } from "../local/parent.js";
import { type LocalStack, startLocalStack } from "../local/stack.js";

export const start: Command = {
  help: `Usage: taskbeat start

Runs every function group in one app on PORT (default 3000), with MCP at http://127.0.0.1:PORT/mcp,
and, on DAPR_HTTP_PORT (default 3500), a local sidecar that speaks Dapr's HTTP API: publish, bulk
publish, subscriptions, jobs, state, secrets (store "local": TASKBEAT_HOME/secrets.json) and health,
delivering with Dapr's semantics. Fault injection for trying things out: POST /v1.0-dev/faults on the
sidecar. The app and the sidecar call each other with a generated token pair (credentials.json) unless
APP_API_TOKEN / DAPR_API_TOKEN are set; both refuse requests from web pages.

Without DATABASE_URL the database is embedded (PGlite) in TASKBEAT_HOME/pgdata (default
$XDG_DATA_HOME/taskbeat, else ~/.local/share/taskbeat) and kept across restarts. On the first run (no
users yet) it creates the user you@localhost and prints its token once; "taskbeat users token <email>"
issues another. When a "taskbeat mcp" of an assistant already serves that data (and does the
background work), this process says so, waits, and takes over when it stops.

Reminder mail goes out through SMTP_URL (with MAIL_FROM) when set; otherwise each message is written
to TASKBEAT_HOME/mail/<reminder id>.eml.

Environment: PORT, DAPR_HTTP_PORT, DATABASE_URL, TASKBEAT_HOME, EMBEDDED_DB_PORT, APP_API_TOKEN,
DAPR_API_TOKEN, LOG_LEVEL, SMTP_URL, MAIL_FROM`,

  async run(argv) {
    parseOptions(argv, {});
    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL });
    let stack: LocalStack | undefined;
    let database: LocalDatabase | undefined;
    let stopping = false;
    const stop = async () => {
      stopping = true;
      await stack?.close();
      await database?.close();
    };
    const failed = (error: unknown) => {
      process.stderr.write(`taskbeat start: ${error instanceof Error ? error.message : String(error)}\n`);
      void stop().finally(() => process.exit(1));
    };
    closeOnSignals(stop, log);
    // `npm start` may be stopped without the signal reaching this process: go with it.
    watchParent(() => {
      log.info("the parent process is gone; stopping");
      if (!stopping) void stop().finally(() => process.exit(0));
    });

    if (config.DATABASE_URL) {
      try {
        // The token pair between app and sidecar is generated here too (TASKBEAT_HOME keeps it for invoke).
        const home = await resolveLocalHome(config, log);
        stack = await startLocalStack({ config, log, home, credentials: await localCredentials(home) });
      } catch (error) {
        await stop();
        throw error;
      }
      printBanner(stack, "DATABASE_URL", await stack.banner());
      return new Promise<number>(() => {});
    }
    const lead = async (db: LocalDatabase) => {
      if (stopping) return;
      // PGlite is one session: with more than one connection, interleaved transactions fail.
      const local: Config = { ...config, DATABASE_URL: db.url, DATABASE_POOL_MAX: 1 };
      stack = await startLocalStack({ config: local, log, home: db.home, credentials: db.credentials });
      await db.announce({ appUrl: stack.app.url, sidecarUrl: stack.sidecar.url });
      printBanner(stack, `embedded, in ${db.dataDir}  (kept across restarts)`, await stack.banner());
    };
    try {
      database = await joinLocalDatabase(config, log, { role: "start", onLead: lead, onLeadFailed: failed });
    } catch (error) {
      await stop();
      throw error;
    }
    if (!database.leading()) await printFollower(database, log);
    // A waiting follower has no server of its own to keep it alive; it runs until a signal.
    setInterval(() => {}, 3_600_000);
    return new Promise<number>(() => {});
  },
};

function printBanner(stack: LocalStack, database: string, banner: string[]): void {
  const { app, sidecar, groups } = stack;
  process.stdout.write(
    [
      "taskbeat is running",
      `  mcp       ${app.url}/mcp  (Streamable HTTP; Authorization: Bearer <token>)`,
      `  app       ${app.url}  (groups: ${groups.join(", ") || "none yet — add a file under functions/"})`,
      `  sidecar   ${sidecar.url}  (local stand-in for daprd)`,
      `  database  ${database}`,
      ...banner,
      `  try       npx taskbeat invoke <topic> --data '{"hello":"world"}'`,
      "",
    ].join("\n"),
  );
}

/** Another process serves the data and does the background work: say where, and wait to take over. */
async function printFollower(database: LocalDatabase, log: Logger): Promise<void> {
  const holder = await database.holder();
  const who = holder ? `process ${holder.pid} ("taskbeat ${holder.role ?? "start"}")` : "another process";
  log.info("another process serves the embedded database", { pid: holder?.pid });
  process.stdout.write(
    [
      `taskbeat is already running in ${who}, on the same data`,
      ...(holder?.appUrl ? [`  mcp       ${holder.appUrl}/mcp  (served by that process)`] : []),
      `  database  embedded, in ${database.dataDir}`,
      "  waiting   this process takes over when that one stops",
      "",
    ].join("\n"),
  );
}
