/**
 * The database of the CLI: `DATABASE_URL` when set, else the embedded one in `<TASKBEAT_HOME>/pgdata`.
 *
 * Local mode is a set of peers on one TASKBEAT_HOME (docs: README "Local data"): the first process to
 * open the embedded database holds it (local/lock.ts), serves it on loopback behind the generated
 * password, and — if it is `taskbeat start` or `taskbeat mcp` — does the background work (local sidecar,
 * every function group: outbox relay, check-due-tasks, email, recurring). Every later process connects
 * through that socket. `start` and `mcp` keep watching the holder (every LOCAL_TAKEOVER_MS); when it is
 * gone, one of them claims the database, serves it at the same URL (port and password are kept in
 * credentials.json) and takes the background work over. One-off commands (`users`, `migrate`) hold the
 * database only while they run and never do background work.
 */
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import type { Config } from "../config.js";
import { createSql, reconnectDelaySeconds } from "../db/client.js";
import type { EmbeddedPostgres } from "../db/embedded.js";
import type { Logger } from "../log.js";
import { type LocalCredentials, localCredentials, saveCredentials } from "./local/credentials.js";
import { resolveLocalHome } from "./local/home.js";
import { type Announcement, announce, claim, holderOf, release } from "./local/lock.js";

export interface Database {
  sql: Sql;
  /** "DATABASE_URL", or which embedded database (its data directory), for messages. */
  description: string;
  close(): Promise<void>;
}

export type LocalRole = "start" | "mcp" | "command";

export interface LocalDatabase {
  /** Connection URL, the same whoever serves it. */
  url: string;
  home: string;
  dataDir: string;
  credentials: LocalCredentials;
  /** "the embedded database in <dataDir>", for messages. */
  description: string;
  /** Whether this process serves the database (and so does the background work). */
  leading(): boolean;
  /** The process that serves it, when another one does. */
  holder(): Promise<Announcement | undefined>;
  /** Tells the others where this process's app and sidecar are. */
  announce(extra: Pick<Announcement, "appUrl" | "sidecarUrl">): Promise<void>;
  /** Stops watching; if this process serves the database, closes it (another process takes over). */
  close(): Promise<void>;
}

export interface JoinOptions {
  role: LocalRole;
  /** Called each time this process starts serving the database: start the background work there. */
  onLead?: (database: LocalDatabase) => Promise<void>;
  /** Called with an error of onLead (the watch goes on). */
  onLeadFailed?: (error: unknown) => void;
}

// A first start creates the database (initdb), which takes seconds; a follower waits that long.
const STARTING_WAIT_MS = 60_000;

/** The database a one-off command works on; the pool is 1 for the embedded one (PGlite is one session). */
export async function connectDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.DATABASE_URL) {
    const sql = createSql({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
    return { sql, description: "DATABASE_URL", close: () => sql.end({ timeout: 5 }) };
  }
  const local = await joinLocalDatabase(config, log, { role: "command" });
  const sql = postgres(local.url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "taskbeat" },
    backoff: reconnectDelaySeconds,
  });
  return {
    sql,
    description: local.description,
    async close() {
      await sql.end({ timeout: 5 });
      await local.close();
    },
  };
}

/** Joins local mode on TASKBEAT_HOME: serves the embedded database if nobody does, else follows. */
export async function joinLocalDatabase(
  config: Config,
  log: Logger,
  options: JoinOptions,
): Promise<LocalDatabase> {
  const home = await resolveLocalHome(config, log);
  const dataDir = join(home, "pgdata");
  const description = `the embedded database in ${dataDir}`;
  const credentials = await localCredentials(home);
  let embedded: EmbeddedPostgres | undefined;
  let url = "";
  let closed = false;
  let watch: NodeJS.Timeout | undefined;
  let taking: Promise<void> | undefined;

  const local: LocalDatabase = {
    get url() {
      return url;
    },
    home,
    dataDir,
    credentials,
    description,
    leading: () => embedded !== undefined,
    async holder() {
      const holder = await holderOf(home);
      return holder === "starting" || holder?.pid === process.pid ? undefined : holder;
    },
    announce: (extra) => announce(home, { url, role: options.role, ...extra }),
    async close() {
      closed = true;
      clearInterval(watch);
      await taking;
      if (embedded) {
        const owned = embedded;
        embedded = undefined;
        await owned.close();
        await release(home);
      }
    },
  };

  /** Opens the data directory and serves it; the caller holds the lock. */
  async function serve(): Promise<void> {
    try {
      log.info("starting the embedded database", { dataDir });
      embedded = await open(config, home, dataDir);
    } catch (error) {
      await release(home);
      throw new Error(`${description}: ${error instanceof Error ? error.message : String(error)}`);
    }
    url = embedded.url;
    await announce(home, { url, role: options.role });
  }

  async function lead(): Promise<void> {
    await serve();
    if (options.onLead) {
      log.info("this process now does the background work", { role: options.role });
      await options.onLead(local).catch((error) => options.onLeadFailed?.(error));
    }
  }

  const deadline = Date.now() + STARTING_WAIT_MS;
  for (;;) {
    const holder = await holderOf(home);
    if (holder === undefined) {
      if (await claim(home, options.role)) {
        await lead();
        break;
      }
      continue;
    }
    if (holder !== "starting" && holder.url !== undefined) {
      url = holder.url;
      log.info("using the embedded database of another process", { pid: holder.pid, role: holder.role });
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`${description}: another process holds it but never said where it listens`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }

  if (options.role !== "command") {
    // Followers watch the holder; the first to see it gone takes over.
    watch = setInterval(() => {
      if (closed || embedded || taking) return;
      taking = (async () => {
        const holder = await holderOf(home);
        if (holder !== undefined || closed) return;
        if (!(await claim(home, options.role))) return;
        log.info("the process serving the embedded database is gone; taking over");
        await lead();
      })()
        .catch((error) => log.error("taking over the embedded database failed", { error }))
        .finally(() => {
          taking = undefined;
        });
    }, config.LOCAL_TAKEOVER_MS);
    watch.unref();
  }
  return local;
}

/** Serves the data directory on the kept port (a new one, remembered, if that is taken). */
async function open(config: Config, home: string, dataDir: string): Promise<EmbeddedPostgres> {
  // Read again: the port may have changed since this process joined.
  const credentials = await localCredentials(home);
  const wanted = config.EMBEDDED_DB_PORT || credentials.dbPort;
  // Loaded only here: PGlite is a development dependency, absent from the image, where DATABASE_URL is set
  // and `taskbeat migrate` (the pre-deploy Job) must not load it.
  const { startEmbeddedPostgres } = await import("../db/embedded.js");
  const start = (port: number) =>
    startEmbeddedPostgres({
      dataDir,
      port,
      credentials: { user: credentials.dbUser, password: credentials.dbPassword },
      socketDir: join(home, "run"),
    });
  let embedded: EmbeddedPostgres;
  try {
    embedded = await start(wanted);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EADDRINUSE" || config.EMBEDDED_DB_PORT !== 0) throw error;
    embedded = await start(0);
  }
  if (embedded.port !== credentials.dbPort && config.EMBEDDED_DB_PORT === 0) {
    credentials.dbPort = embedded.port;
    await saveCredentials(home, credentials);
  }
  return embedded;
}
