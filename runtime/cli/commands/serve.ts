import { loadConfig } from "../../config.js";
import { groupLoaders } from "../../generated/groups.gen.js";
import { createLogger } from "../../log.js";
import { findGroupLoader, type Registry } from "../../registry.js";
import { closeOnSignals, serveGroups } from "../../server.js";
import { type Command, parseOptions, UsageError } from "../command.js";

export const serve: Command = {
  help: `Usage: taskbeat serve --group <group>

Runs one function group (a folder of functions/, one Dapr app-id) on PORT, talking to the daprd
sidecar on DAPR_HTTP_PORT. With DATABASE_URL, applies pending migrations before listening (replicas
take turns under an advisory lock; with MIGRATE_ON_START=false it waits for "taskbeat migrate" to
have applied them instead) and publishes outbox rows right after each commit. Registers the
group's jobs from JOBS_DIR once the sidecar is up. Logs JSON lines to stdout. On SIGTERM, /readyz
answers 503 at once, requests are still served for SHUTDOWN_DELAY_MS, then the listener closes and
in-flight work gets SHUTDOWN_GRACE_MS to finish.

Options:
  --group <group>   the function group (default: FUNCTION_GROUP)

Environment:
  PORT (3000), HOST (all interfaces), DAPR_HTTP_PORT (3500), DAPR_API_TOKEN, APP_API_TOKEN,
  DATABASE_URL, DATABASE_POOL_MAX (10), MCP_ALLOWED_HOSTS, SHUTDOWN_GRACE_MS (10000),
  SHUTDOWN_DELAY_MS (5000), MIGRATE_ON_START (true), MIGRATE_WAIT_MS (600000),
  MIGRATE_LOCK_TIMEOUT_MS (2000), LOG_LEVEL (info), JOBS_DIR (jobs)`,

  async run(argv) {
    const { values } = parseOptions(argv, { group: { type: "string" } });
    const config = loadConfig();
    const group = values.group ?? config.FUNCTION_GROUP;
    if (!group) throw new UsageError("--group (or FUNCTION_GROUP) is required");
    const load = findGroupLoader(groupLoaders, group);
    if (!load) {
      const known = Object.keys(groupLoaders).join(", ") || "none yet";
      throw new UsageError(`unknown group "${group}" (groups: ${known})`);
    }
    // Only this group's units (and the packages they use) are imported: a pod runs one group. The import
    // runs while serveGroups connects to the database and migrates.
    const registry: Promise<Registry> = load().then((units) => ({ [group]: units }));
    // stdout: where Kubernetes and its log collectors read a container's logs.
    const log = createLogger({ level: config.LOG_LEVEL, base: { group }, stream: "stdout" });
    // Signals are handled from the start: the app listens (and may answer) before its sidecar is up,
    // and a pod can be deleted in that window; the default action would cut those requests off.
    const stopping = new AbortController();
    const starting = serveGroups({
      config,
      registry,
      groups: [group],
      log,
      defaultHost: "0.0.0.0",
      defaultShutdownDelayMs: 5_000,
      stop: stopping.signal,
    });
    closeOnSignals(async () => {
      stopping.abort(new Error("stopped by a signal during start-up"));
      // A start-up cut short closed what it had opened before rejecting.
      const running = await starting.catch(() => undefined);
      await running?.close();
    }, log);
    await starting.catch((error: unknown) => {
      // The signal handler exits once start-up has closed; anything else is a failed start.
      if (!stopping.signal.aborted) throw error;
    });
    return new Promise<number>(() => {});
  },
};
