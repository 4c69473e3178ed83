/**
 * All configuration comes from the environment, read here and nowhere else (biome's noProcessEnv
 * enforces it). Everything is validated at start; a bad value stops the process with the full list
 * of problems rather than failing later on the first message.
 */
import * as v from "valibot";

const port = (fallback: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.integer("must be an integer"),
    v.minValue(0, "must be ≥ 0"),
    v.maxValue(65535, "must be ≤ 65535"),
  );

const milliseconds = (fallback: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.integer("must be a whole number of milliseconds"),
    v.minValue(0, "must be ≥ 0"),
  );

const optionalText = v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty when set")));

const EnvSchema = v.object({
  /** The app port daprd calls (`dapr.io/app-port`). */
  PORT: port(3000),
  /**
   * Interface the app listens on. Unset: all interfaces under `serve` (kubelet probes and Prometheus
   * reach the pod IP, not loopback), loopback under `start` (a laptop should not expose it).
   */
  HOST: optionalText,
  /** The sidecar's HTTP API port. daprd injects it into the app container. */
  DAPR_HTTP_PORT: port(3500),
  DAPR_HOST: v.optional(v.string(), "127.0.0.1"),
  /** Sent as `dapr-api-token` on every call to the sidecar when set. */
  DAPR_API_TOKEN: optionalText,
  /** Required from daprd as `dapr-api-token` on Dapr-facing routes when set. */
  APP_API_TOKEN: optionalText,
  /** PostgreSQL. Unset: `taskbeat start` (and the CLI) use the embedded database under TASKBEAT_HOME. */
  DATABASE_URL: optionalText,
  /** Connections per process; keep it small, every pod has its own pool. The embedded database forces 1. */
  DATABASE_POOL_MAX: v.pipe(
    v.optional(v.string(), "10"),
    v.transform(Number),
    v.integer("must be an integer"),
    v.minValue(1, "must be ≥ 1"),
  ),
  /** Local state of `taskbeat start`: the embedded database lives in `<TASKBEAT_HOME>/pgdata`. */
  TASKBEAT_HOME: v.optional(v.string(), ".taskbeat"),
  /** Port of the embedded database's socket (loopback only); 0 picks a free one. */
  EMBEDDED_DB_PORT: port(0),
  /** The user `taskbeat mcp` acts for: a token from `taskbeat users create` or `users token`. */
  TASKBEAT_TOKEN: optionalText,
  /**
   * Host names (any port) allowed in `Host`/`Origin` at `/mcp`, comma-separated; `*.example.com`
   * matches subdomains. Unset: loopback names only, which is what `taskbeat start` needs.
   */
  MCP_ALLOWED_HOSTS: v.optional(
    v.pipe(
      v.string(),
      v.transform((list) =>
        list
          .split(",")
          .map((host) => host.trim())
          .filter(Boolean),
      ),
    ),
  ),
  /** The function group this process serves (`taskbeat serve --group` overrides it). */
  FUNCTION_GROUP: optionalText,
  LOG_LEVEL: v.optional(v.picklist(["debug", "info", "warn", "error"]), "info"),
  /** How long SIGTERM waits for in-flight deliveries before closing; keep below the pod's grace period. */
  SHUTDOWN_GRACE_MS: milliseconds(10_000),
  /**
   * After SIGTERM, how long the listener stays open (answering, while /readyz says 503) before it closes:
   * the time Kubernetes needs to take the pod out of its Services. Unset: 5 s under `serve`, 0 under `start`.
   */
  SHUTDOWN_DELAY_MS: v.optional(
    v.pipe(
      v.string(),
      v.transform(Number),
      v.integer("must be a whole number of milliseconds"),
      v.minValue(0, "must be ≥ 0"),
    ),
  ),
  /**
   * Whether `serve`/`start` apply pending migrations before listening (default true). Set false where a
   * pre-deploy Job runs `taskbeat migrate`: the app then waits for the schema version it needs instead.
   */
  MIGRATE_ON_START: v.pipe(
    v.optional(v.picklist(["true", "false", "1", "0"], "must be true or false"), "true"),
    v.transform((value) => value === "true" || value === "1"),
  ),
  /** With MIGRATE_ON_START=false: how long start-up waits for the schema version before it gives up. */
  MIGRATE_WAIT_MS: milliseconds(600_000),
  /** How long one migration statement waits for a table lock before the attempt is retried later. */
  MIGRATE_LOCK_TIMEOUT_MS: milliseconds(2_000),
  /** Timeout of each call to the sidecar. */
  DAPR_TIMEOUT_MS: milliseconds(5_000),
  /** How long start-up waits for the sidecar's outbound health. */
  DAPR_WAIT_MS: milliseconds(60_000),
  /** Where the job specs live; mount a ConfigMap here to change schedules without a new image. */
  JOBS_DIR: v.optional(v.string(), "jobs"),
  // --- mail (functions/email, functions/_shared/mail) ---
  /**
   * The SMTP server reminders go out through, e.g. `smtp://user:pass@mail.example.com:587` (STARTTLS when
   * offered) or `smtps://…:465`; a pooled connection. Unset: messages are written as `.eml` files under
   * `<TASKBEAT_HOME>/mail/` instead, which is what `taskbeat start` wants.
   */
  SMTP_URL: v.optional(
    v.pipe(
      v.string(),
      v.url("must be a URL such as smtp://user:pass@host:587"),
      v.check((url) => /^smtps?:\/\//i.test(url), "must start with smtp:// or smtps://"),
    ),
  ),
  /** The From address of reminder mail, e.g. `taskbeat <reminders@example.com>`; required with SMTP_URL. */
  MAIL_FROM: optionalText,
  /** Connection, greeting and socket-inactivity timeout of the SMTP client. */
  SMTP_TIMEOUT_MS: milliseconds(10_000),
});

export type Config = v.InferOutput<typeof EnvSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings are how shells and manifests say "unset".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = v.safeParse(EnvSchema, present);
  if (result.success) return result.output;
  throw new ConfigError(
    result.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`),
  );
}

/**
 * The environment as a secret store, like Dapr's `secretstores.local.env`: secret `NAME` holds
 * `{ NAME: value }`. Only the local sidecar of `taskbeat start` serves it.
 */
export function environmentSecrets(
  env: Record<string, string | undefined> = process.env,
): Record<string, Record<string, string>> {
  const secrets: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) secrets[name] = { [name]: value };
  return secrets;
}
