/**
 * The background work of local mode, run by one process at a time (see ../database.ts): the local
 * sidecar on DAPR_HTTP_PORT and every function group on PORT (MCP over HTTP, topics, jobs — the outbox
 * relay, check-due-tasks, email, recurring). Its two parts call each other with a token pair (the user's
 * APP_API_TOKEN / DAPR_API_TOKEN, else the generated ones of credentials.json), the sidecar accepts only
 * loopback Host names and no Origin, and its secret store serves `<TASKBEAT_HOME>/secrets.json`, never
 * the process environment.
 */
import { existsSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Config } from "../../config.js";
import { type LocalSidecar, startSidecar } from "../../dev-sidecar/sidecar.js";
import type { Logger } from "../../log.js";
import { setupsOf } from "../../registry.js";
import { type RunningApp, serveGroups } from "../../server.js";
import type { LocalCredentials } from "./credentials.js";

export interface LocalStack {
  app: RunningApp;
  sidecar: LocalSidecar;
  groups: string[];
  /** The groups' banner lines (the first-run token among them). */
  banner(): Promise<string[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  config: Config;
  log: Logger;
  /** Undefined with DATABASE_URL: tokens are then the user's or none, secrets none. */
  home?: string;
  credentials?: LocalCredentials;
}

const LOOPBACK = ["localhost", "127.0.0.1", "::1"];

export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const { log, credentials } = options;
  // Loaded here, not at the top: `taskbeat mcp` loads every group only when it does the background work.
  const { registry } = await import("../../generated/registry.gen.js");
  const groups = Object.keys(registry);
  const host = options.config.HOST ?? "127.0.0.1";
  const appApiToken = options.config.APP_API_TOKEN ?? credentials?.appApiToken;
  const daprApiToken = options.config.DAPR_API_TOKEN ?? credentials?.daprApiToken;
  const sidecarHost = options.config.DAPR_HOST;
  const sidecar = await startSidecar({
    port: options.config.DAPR_HTTP_PORT,
    host: sidecarHost,
    appId: "taskbeat",
    appUrl: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${options.config.PORT}`,
    secretStores: { local: options.home ? await declaredSecrets(options.home) : {} },
    // Accepted events survive a crash of this process (issue 15 §2; runtime/dev-sidecar/journal.ts).
    journalPath: join(options.config.TASKBEAT_HOME, "broker", "journal.ndjson"),
    log: log.child({ component: "sidecar" }),
    ...(LOOPBACK.includes(sidecarHost) ? { allowedHosts: LOOPBACK } : {}),
    ...(daprApiToken ? { apiToken: daprApiToken } : {}),
    ...(appApiToken ? { appApiToken } : {}),
  });
  const config: Config = {
    ...options.config,
    JOBS_DIR: jobsDir(options.config.JOBS_DIR),
    DAPR_HTTP_PORT: sidecar.port,
    ...(appApiToken ? { APP_API_TOKEN: appApiToken } : {}),
    ...(daprApiToken ? { DAPR_API_TOKEN: daprApiToken } : {}),
  };
  let app: RunningApp;
  try {
    app = await serveGroups({ config, registry, groups, log, defaultHost: "127.0.0.1" });
    await sidecar.ready();
  } catch (error) {
    await sidecar.close();
    throw error;
  }
  const running = app;
  return {
    app,
    sidecar,
    groups,
    async banner() {
      const banners = setupsOf(registry, groups).map((setup) => setup.banner?.(running.setupContext) ?? []);
      return (await Promise.all(banners)).flat();
    },
    async close() {
      await running.close();
      await sidecar.close();
    },
  };
}

/**
 * A relative JOBS_DIR is read from the working directory when it is there, else from taskbeat's own
 * folder (the one of bin/taskbeat.mjs): an assistant starts `taskbeat mcp` from a directory of its own.
 */
function jobsDir(configured: string): string {
  if (isAbsolute(configured) || existsSync(configured)) return configured;
  const script = process.argv[1];
  return script ? resolve(dirname(realpathSync(script)), "..", configured) : configured;
}

/**
 * `<home>/secrets.json`, `{"NAME": "value", …}`, as a store like Dapr's `secretstores.local.file`:
 * secret NAME holds `{NAME: value}`. No file: an empty store.
 */
async function declaredSecrets(home: string): Promise<Record<string, Record<string, string>>> {
  const path = join(home, "secrets.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return {};
    throw error;
  }
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} must be a JSON object of secret names to string values`);
  }
  const secrets: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new Error(`${path}: the value of "${name}" must be a string`);
    secrets[name] = { [name]: value };
  }
  return secrets;
}
