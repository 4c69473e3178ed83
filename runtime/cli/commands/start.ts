import { join } from "node:path";
import { type Config, environmentSecrets, loadConfig } from "../../config.js";
import { startSidecar } from "../../dev-sidecar/sidecar.js";
import { registry } from "../../generated/registry.gen.js";
import { createLogger } from "../../log.js";
import { setupsOf } from "../../registry.js";
import { closeOnSignals, type RunningApp, serveGroups } from "../../server.js";
import { type Command, parseOptions } from "../command.js";
import { type LocalDatabase, startLocalDatabase } from "../database.js";

export const start: Command = {
  help: `Usage: taskbeat start

Runs every function group in one app on PORT (default 3000), with MCP at http://127.0.0.1:PORT/mcp,
and, on DAPR_HTTP_PORT (default 3500), a local sidecar that speaks Dapr's HTTP API: publish, bulk
publish, subscriptions, jobs, state, secrets (store "env": the environment) and health, delivering
with Dapr's semantics. Fault injection for trying things out: POST /v1.0-dev/faults on the sidecar.

Without DATABASE_URL the database is embedded (PGlite) in TASKBEAT_HOME/pgdata (default
.taskbeat/pgdata) and kept across restarts. On the first run (no users yet) it creates the user
you@localhost and prints its token once; "taskbeat users token <email>" issues another.

Reminder mail goes out through SMTP_URL (with MAIL_FROM) when set; otherwise each message is written
to TASKBEAT_HOME/mail/<reminder id>.eml.

Environment: PORT, DAPR_HTTP_PORT, DATABASE_URL, TASKBEAT_HOME, EMBEDDED_DB_PORT, APP_API_TOKEN,
DAPR_API_TOKEN, LOG_LEVEL, SMTP_URL, MAIL_FROM`,

  async run(argv) {
    parseOptions(argv, {});
    let config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL });
    const groups = Object.keys(registry);
    const host = config.HOST ?? "127.0.0.1";
    let database: LocalDatabase | undefined;
    if (!config.DATABASE_URL) {
      database = await startLocalDatabase(config, log);
      // PGlite is one session: with more than one connection, interleaved transactions fail.
      config = { ...config, DATABASE_URL: database.url, DATABASE_POOL_MAX: 1 };
    }
    let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
    let app: RunningApp | undefined;
    const stop = async () => {
      await app?.close();
      await sidecar?.close();
      await database?.close();
    };
    let banner: string[];
    try {
      sidecar = await startSidecar({
        port: config.DAPR_HTTP_PORT,
        host: config.DAPR_HOST,
        appId: "taskbeat",
        appUrl: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${config.PORT}`,
        secretStores: { env: environmentSecrets() },
        // Accepted events survive a crash of this process (issue 15 §2; runtime/dev-sidecar/journal.ts).
        journalPath: join(config.TASKBEAT_HOME, "broker", "journal.ndjson"),
        log: log.child({ component: "sidecar" }),
        ...(config.DAPR_API_TOKEN ? { apiToken: config.DAPR_API_TOKEN } : {}),
        ...(config.APP_API_TOKEN ? { appApiToken: config.APP_API_TOKEN } : {}),
      });
      app = await serveGroups({ config, registry, groups, log, defaultHost: "127.0.0.1" });
      await sidecar.ready();
      const running = app;
      const banners = setupsOf(registry, groups).map((setup) => setup.banner?.(running.setupContext) ?? []);
      banner = (await Promise.all(banners)).flat();
    } catch (error) {
      await stop();
      throw error;
    }
    closeOnSignals(stop, log);
    process.stdout.write(
      [
        "taskbeat is running",
        `  mcp       ${app.url}/mcp  (Streamable HTTP; Authorization: Bearer <token>)`,
        `  app       ${app.url}  (groups: ${groups.join(", ") || "none yet — add a file under functions/"})`,
        `  sidecar   ${sidecar.url}  (local stand-in for daprd)`,
        `  database  ${describeDatabase(config, database)}`,
        ...banner,
        `  try       npx taskbeat invoke <topic> --data '{"hello":"world"}'`,
        "",
      ].join("\n"),
    );
    return new Promise<number>(() => {});
  },
};

function describeDatabase(config: Config, database: LocalDatabase | undefined): string {
  if (database === undefined) return "DATABASE_URL";
  return `embedded, in ${database.dataDir}  (${config.TASKBEAT_HOME}/ is kept across restarts)`;
}
