/**
 * The database of the CLI commands: `DATABASE_URL` when set, else the embedded one in
 * `<TASKBEAT_HOME>/pgdata`. PGlite's data directory must never be opened by two processes at once, so
 * whoever opens it announces itself in `<TASKBEAT_HOME>/database.json` ({pid, url}), created
 * exclusively: `taskbeat start` owns it while it runs, and `users`, `migrate` and `mcp` connect to
 * that process's socket when it is running, or open the directory themselves for as long as they run.
 */
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import postgres, { type Sql } from "postgres";
import type { Config } from "../config.js";
import { createSql } from "../db/client.js";
import { startEmbeddedPostgres } from "../db/embedded.js";
import type { Logger } from "../log.js";

export interface LocalDatabase {
  url: string;
  /** Where the data lives, for messages. */
  dataDir: string;
  close(): Promise<void>;
}

export interface Database {
  sql: Sql;
  /** "DATABASE_URL", or where the embedded data lives. */
  description: string;
  close(): Promise<void>;
}

interface Announcement {
  pid: number;
  url?: string;
}

// A first start creates the database (initdb), which takes seconds; another command waits that long.
const STARTING_WAIT_MS = 60_000;

/** Opens the embedded database for this process (what `taskbeat start` does); refuses if it is in use. */
export async function startLocalDatabase(config: Config, log: Logger): Promise<LocalDatabase> {
  const found = await openOrFind(config, log, "own");
  if (found.owned === undefined) throw new Error("the embedded database is in use by another process");
  return found.owned;
}

/** The database a one-off command works on; the pool is 1 for the embedded one (PGlite is one session). */
export async function connectDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.DATABASE_URL) {
    const sql = createSql({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
    return { sql, description: "DATABASE_URL", close: () => sql.end({ timeout: 5 }) };
  }
  const { url, owned } = await openOrFind(config, log, "share");
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: "taskbeat" } });
  return {
    sql,
    description: `the embedded database in ${dataDirOf(config)}`,
    async close() {
      await sql.end({ timeout: 5 });
      await owned?.close();
    },
  };
}

const homeOf = (config: Config) => resolve(config.TASKBEAT_HOME);
const dataDirOf = (config: Config) => join(homeOf(config), "pgdata");

async function openOrFind(
  config: Config,
  log: Logger,
  mode: "own" | "share",
): Promise<{ url: string; owned?: LocalDatabase }> {
  const home = homeOf(config);
  const lock = join(home, "database.json");
  await mkdir(home, { recursive: true });
  const deadline = Date.now() + STARTING_WAIT_MS;
  for (;;) {
    const holder = await readAnnouncement(lock);
    if (holder === "starting" || (holder !== undefined && isAlive(holder.pid))) {
      const pid = holder === "starting" ? "another process" : `process ${holder.pid}`;
      if (mode === "own") {
        throw new Error(
          `the embedded database in ${home} is in use by ${pid} (another "taskbeat start"?); ` +
            "stop it, or set TASKBEAT_HOME or DATABASE_URL",
        );
      }
      if (holder !== "starting" && holder.url !== undefined) return { url: holder.url };
      if (Date.now() > deadline) throw new Error(`${pid} holds ${lock} but never said where it listens`);
      await new Promise((done) => setTimeout(done, 100));
      continue;
    }
    // A holder that died leaves its file behind.
    if (holder !== undefined) await rm(lock, { force: true });
    try {
      await writeFile(lock, JSON.stringify({ pid: process.pid } satisfies Announcement), { flag: "wx" });
    } catch (error) {
      if ((error as { code?: unknown }).code === "EEXIST") continue;
      throw error;
    }
    const owned = await open(config, log, lock);
    return { url: owned.url, owned };
  }
}

async function open(config: Config, log: Logger, lock: string): Promise<LocalDatabase> {
  const dataDir = dataDirOf(config);
  try {
    log.info("starting the embedded database", { dataDir });
    const embedded = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_DB_PORT });
    await writeFile(lock, JSON.stringify({ pid: process.pid, url: embedded.url } satisfies Announcement));
    return {
      url: embedded.url,
      dataDir,
      async close() {
        await embedded.close();
        await rm(lock, { force: true });
      },
    };
  } catch (error) {
    await rm(lock, { force: true });
    throw error;
  }
}

/** undefined: nobody; "starting": a file still being written (its owner is between create and write). */
async function readAnnouncement(path: string): Promise<Announcement | "starting" | undefined> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Announcement>;
    if (typeof parsed.pid === "number")
      return { pid: parsed.pid, ...(parsed.url ? { url: parsed.url } : {}) };
  } catch {
    // Empty or half-written: its writer is at work, or died mid-write long ago (then it is stale).
  }
  return Date.now() - modified < 5_000 ? "starting" : { pid: 0 };
}

function isAlive(pid: number): boolean {
  if (pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: unknown }).code === "EPERM";
  }
}
