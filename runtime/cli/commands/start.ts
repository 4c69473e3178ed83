import { environmentSecrets, loadConfig } from "../../config.js";
import { startSidecar } from "../../dev/sidecar.js";
import { registry } from "../../generated/registry.gen.js";
import { createLogger } from "../../log.js";
import { closeOnSignals, type RunningApp, serveGroups } from "../../server.js";
import { type Command, parseOptions } from "../command.js";

export const start: Command = {
  summary: "run every function group and a local Dapr sidecar in one process (no setup)",
  help: `Usage: taskbeat start

Runs every function group in one app on PORT (default 3000) and, on DAPR_HTTP_PORT (default 3500),
a local sidecar that speaks Dapr's HTTP API: publish, bulk publish, subscriptions, jobs, state,
secrets (store "env": the environment) and health, delivering with Dapr's semantics. Fault injection
for trying things out: POST /v1.0-dev/faults on the sidecar (see README).

Environment: PORT, DAPR_HTTP_PORT, DATABASE_URL, APP_API_TOKEN, DAPR_API_TOKEN, LOG_LEVEL`,

  async run(argv) {
    parseOptions(argv, {});
    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL });
    const groups = Object.keys(registry);
    const host = config.HOST ?? "127.0.0.1";
    const sidecar = await startSidecar({
      port: config.DAPR_HTTP_PORT,
      host: config.DAPR_HOST,
      appId: "taskbeat",
      appUrl: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${config.PORT}`,
      secretStores: { env: environmentSecrets() },
      log: log.child({ component: "sidecar" }),
      ...(config.DAPR_API_TOKEN ? { apiToken: config.DAPR_API_TOKEN } : {}),
      ...(config.APP_API_TOKEN ? { appApiToken: config.APP_API_TOKEN } : {}),
    });
    let app: RunningApp | undefined;
    const stop = async () => {
      await app?.close();
      await sidecar.close();
    };
    try {
      app = await serveGroups({ config, registry, groups, log, defaultHost: "127.0.0.1" });
      await sidecar.ready();
    } catch (error) {
      await stop();
      throw error;
    }
    closeOnSignals(stop, log);
    process.stdout.write(
      [
        "taskbeat is running",
        `  app      ${app.url}  (groups: ${groups.join(", ") || "none yet — add a file under functions/"})`,
        `  sidecar  ${sidecar.url}  (local stand-in for daprd)`,
        `  try      npx taskbeat invoke <topic> --data '{"hello":"world"}'`,
        "",
      ].join("\n"),
    );
    return new Promise<number>(() => {});
  },
};
