/**
 * All configuration comes from the environment, read here and nowhere else (biome's noProcessEnv
 * enforces it). Everything is validated at start; a bad value stops the process with the full list
 * of problems rather than failing later on the first message.
 */
import { homedir } from "node:os";
import { join } from "node:path";
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

/** "a, b,,c" → ["a", "b", "c"]. */
const splitList = (list: string) =>
  list
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/** A comma-separated list, as a manifest or a shell writes one. */
const commaList = v.optional(v.pipe(v.string(), v.transform(splitList)));

const optionalText = v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty when set")));

/**
 * A setting: its schema and the sentence the README's configuration table shows (`npm run gen` writes that
 * table from these; `npm run check` fails when it drifts). `shownDefault` replaces the computed default where
 * it depends on the command.
 */
const setting = <T extends v.GenericSchema>(schema: T, doc: string, shownDefault?: string) =>
  v.pipe(schema, v.description(doc), v.metadata({ shownDefault }));

const EnvSchema = v.object({
  PORT: setting(port(3000), "where the app listens (daprd's `app-port`)"),
  // Unset: all interfaces under `serve` (kubelet probes and Prometheus reach the pod IP, not loopback),
  // loopback under `start` (a laptop should not expose it).
  HOST: setting(optionalText, "interface the app listens on", "all (`serve`), `127.0.0.1` (`start`)"),
  DAPR_HTTP_PORT: setting(port(3500), "the sidecar's HTTP API port (daprd injects it)"),
  DAPR_HOST: setting(v.optional(v.string(), "127.0.0.1"), "the sidecar's host"),
  DAPR_API_TOKEN: setting(optionalText, "sent to the sidecar as `dapr-api-token`", "— (`start`: generated)"),
  APP_API_TOKEN: setting(
    optionalText,
    "required from the sidecar as `dapr-api-token` on Dapr-facing routes",
    "— (`start`: generated)",
  ),
  APP_MAX_REQUEST_BODY_BYTES: setting(
    v.pipe(
      v.optional(v.string(), String(4 * 1024 * 1024)),
      v.transform(Number),
      v.integer("must be a whole number of bytes"),
      v.minValue(1024, "must be ≥ 1024"),
    ),
    "largest topic delivery or job callback body read (a bulk route: × its maxMessages); a bigger one is " +
      "dropped unread. Keep it equal to daprd's `dapr.io/http-max-request-size` (MB)",
  ),
  DATABASE_URL: setting(
    optionalText,
    "PostgreSQL; unset: the embedded database (`start`, `users`, `mcp`, …)",
  ),
  DATABASE_POOL_MAX: setting(
    v.pipe(
      v.optional(v.string(), "10"),
      v.transform(Number),
      v.integer("must be an integer"),
      v.minValue(1, "must be ≥ 1"),
    ),
    "connections per process; every pod has its own pool (the embedded database always uses 1)",
  ),
  TASKBEAT_HOME: setting(
    v.string(),
    "local state of `start` and `mcp` (database, mail files, credentials), the same from any working directory",
    "`$XDG_DATA_HOME/taskbeat`, else `~/.local/share/taskbeat`",
  ),
  EMBEDDED_DB_PORT: setting(
    port(0),
    "loopback port of the embedded database (password required; 0: a free one, then kept)",
  ),
  LOCAL_TAKEOVER_MS: setting(
    milliseconds(1_000),
    "how often a local process checks that the one serving the embedded database is still there",
  ),
  TASKBEAT_TOKEN: setting(optionalText, "the user `taskbeat mcp` acts for (a token from `taskbeat users`)"),
  MCP_ALLOWED_HOSTS: setting(
    commaList,
    "comma-separated host names (any port) allowed in `Host`/`Origin` at `/mcp`; `*.example.com` matches subdomains",
    "loopback names",
  ),
  OUTBOX_RELAY_TOPICS: setting(
    commaList,
    "comma-separated topics this process's outbox relay publishes (per-app pub/sub scopes let a group publish " +
      "only its own); empty: none",
    "all topics",
  ),
  FUNCTION_GROUP: setting(optionalText, "the group `serve` runs when `--group` is not given"),
  LOG_LEVEL: setting(
    v.optional(v.picklist(["debug", "info", "warn", "error"]), "info"),
    "least level logged (JSON lines)",
  ),
  SHUTDOWN_GRACE_MS: setting(
    milliseconds(10_000),
    "how long SIGTERM waits for in-flight deliveries; keep it below the pod's grace period",
  ),
  SHUTDOWN_DELAY_MS: setting(
    v.optional(
      v.pipe(
        v.string(),
        v.transform(Number),
        v.integer("must be a whole number of milliseconds"),
        v.minValue(0, "must be ≥ 0"),
      ),
    ),
    "after SIGTERM, how long the listener stays open (answering, while `/readyz` says 503) before it closes: " +
      "the time Kubernetes needs to take the pod out of its Services",
    "`5000` (`serve`), `0` (`start`)",
  ),
  MIGRATE_ON_START: setting(
    v.pipe(
      v.optional(v.picklist(["true", "false", "1", "0"], "must be true or false"), "true"),
      v.transform((value) => value === "true" || value === "1"),
    ),
    "whether `serve`/`start` apply pending migrations before listening; set false where a pre-deploy Job runs " +
      "`taskbeat migrate`: the app then waits for the schema version it needs",
  ),
  MIGRATE_WAIT_MS: setting(
    milliseconds(600_000),
    "with `MIGRATE_ON_START=false`: how long start-up waits for the schema version before it gives up",
  ),
  MIGRATE_LOCK_TIMEOUT_MS: setting(
    milliseconds(2_000),
    "how long one migration statement waits for a table lock before the attempt is retried later",
  ),
  DAPR_TIMEOUT_MS: setting(milliseconds(5_000), "timeout of each call to the sidecar"),
  DAPR_WAIT_MS: setting(milliseconds(60_000), "how long start-up waits for the sidecar's outbound health"),
  JOBS_DIR: setting(
    v.optional(v.string(), "jobs"),
    "where the job specs live (mount a ConfigMap there to change schedules without a new image)",
  ),
  SMTP_URL: setting(
    v.optional(
      v.pipe(
        v.string(),
        v.url("must be a URL such as smtp://user:pass@host:587"),
        v.check((url) => /^smtps?:\/\//i.test(url), "must start with smtp:// or smtps://"),
      ),
    ),
    "SMTP server for mail, e.g. `smtp://user:pass@mail.example.com:587` (STARTTLS when offered) or `smtps://…:465`; " +
      "unset: `.eml` files in `<TASKBEAT_HOME>/mail/`",
  ),
  MAIL_FROM: setting(
    optionalText,
    "the From address of mail, e.g. `taskbeat <reminders@example.com>`; required with `SMTP_URL`",
  ),
  SMTP_TIMEOUT_MS: setting(
    milliseconds(10_000),
    "connection, greeting and socket-inactivity timeout of the SMTP client",
  ),
  REMINDER_RETRY_HORIZON_MS: setting(
    milliseconds(24 * 3_600_000),
    "how long after its `remind_at` a reminder whose mail keeps failing temporarily (SMTP down, 4xx) is retried " +
      "before it is given up as `failed`; a permanent refusal (5xx) fails at once",
  ),
  PUBLIC_URL: setting(
    v.optional(
      v.pipe(
        v.string(),
        v.url("must be a URL such as https://tasks.example.com"),
        v.check(
          (url) => /^https?:\/\/[^/]+\/?$/i.test(url),
          "must be an origin (http(s)://host[:port]), no path",
        ),
        v.transform((url) => url.replace(/\/$/, "")),
      ),
    ),
    "the externally visible origin behind an ingress, e.g. `https://tasks.example.com`: OAuth's issuer and the " +
      "resource `<PUBLIC_URL>/mcp`",
    "`http://127.0.0.1:<PORT>`",
  ),
  SIGNUP: setting(
    v.optional(v.picklist(["open", "closed"], "must be open or closed")),
    "whether a new email may sign up at the sign-in page",
    "closed in production, open otherwise",
  ),
  NODE_ENV: setting(optionalText, "`production` closes sign-up by default (so does an https `PUBLIC_URL`)"),
  OAUTH_SERVER: setting(
    v.optional(v.picklist(["on", "off"], "must be on or off"), "on"),
    "the built-in authorization server (sign-in page, registration, tokens); `off` trusts `OAUTH_ISSUER` only",
  ),
  OAUTH_ISSUER: setting(
    v.optional(v.pipe(v.string(), v.url("must be the issuer URL, e.g. https://id.example.com"))),
    "an external OpenID Connect issuer whose JWT access tokens (audience = the resource) `/mcp` accepts",
  ),
  OAUTH_CIMD_ALLOWED_HOSTS: setting(
    v.optional(
      v.pipe(
        v.string(),
        v.transform((list) => splitList(list).map((host) => host.toLowerCase())),
      ),
    ),
    "host names a Client ID Metadata Document may be fetched from although they resolve to private or loopback " +
      "addresses (comma-separated); unset: only public addresses over https",
  ),
});

/** Every setting's schema by name, for the README table (runtime/gen/render-config.ts). */
export const SETTINGS: Readonly<Record<string, v.GenericSchema>> = EnvSchema.entries;

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
  present.TASKBEAT_HOME ??= defaultLocalHome(env);
  // The one setting where empty is a value: a group that publishes nothing (its relay must not take
  // another group's rows, which its sidecar may not publish).
  if (env.OUTBOX_RELAY_TOPICS === "") present.OUTBOX_RELAY_TOPICS = "";
  const result = v.safeParse(EnvSchema, present);
  if (result.success) return result.output;
  throw new ConfigError(
    result.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`),
  );
}

/** The per-user data directory of local mode (XDG base directories), used when TASKBEAT_HOME is unset. */
export function defaultLocalHome(env: Record<string, string | undefined> = process.env): string {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return join(dataHome, "taskbeat");
}
