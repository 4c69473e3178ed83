/**
 * Applies the numbered SQL files in `migrations/` that the database has not seen, in order, each in its
 * own transaction together with its row in taskbeat_migrations. Several processes may start at once
 * (replicas, the pre-deploy Job): a session advisory lock serialises them, and each version is recorded
 * with its SQL, so a second migrator that somehow got past the lock would fail on the primary key rather
 * than apply twice.
 *
 * A migration must never take the app down, so:
 * - every statement runs under `lock_timeout`: a migration that would queue behind a long transaction for
 *   an ACCESS EXCLUSIVE lock would make every ordinary query on that table queue behind *it*. It gives up
 *   instead (SQLSTATE 55P03), rolls back, and tries again after a growing pause;
 * - a file whose first line is `-- taskbeat:no-transaction` runs statement by statement outside a
 *   transaction, for `create index concurrently` on tables that can be large (a plain build blocks writes
 *   for as long as it takes). Its statements must be idempotent (`if not exists`, `or replace`): its version
 *   is recorded after the last one, so a migrator that died half-way runs it again from the top. A build
 *   that failed (not one that was interrupted) leaves an INVALID index: drop it before running again.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ReservedSql, Sql } from "postgres";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const NO_TRANSACTION = /^--\s*taskbeat:no-transaction\s*$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** How long one statement may wait for a lock before the attempt is abandoned (default 2 s). */
  lockTimeoutMs?: number;
  /** Attempts per migration when it could not get its locks in time (default 10). */
  attempts?: number;
  /** The first pause between attempts; it doubles, up to 30 s (default 500 ms). */
  backoffMs?: number;
  /** Told of each abandoned attempt (the caller logs it). */
  onRetry?: (info: { version: number; attempt: number; waitMs: number }) => void;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named NNNN_snake_name.sql`);
    const version = Number(match[1]);
    if (version !== migrations.length + 1) {
      throw new Error(`migration ${file} breaks the sequence: expected version ${migrations.length + 1}`);
    }
    migrations.push({ version, name: match[2] as string, sql: await readFile(`${dir}${file}`, "utf8") });
  }
  return migrations;
}

export const isNoTransaction = (migration: Migration): boolean =>
  NO_TRANSACTION.test(migration.sql.split("\n", 1)[0] ?? "");

/**
 * The statements of a no-transaction migration: split at a `;` that ends a line. (Postgres runs a
 * multi-statement string as one implicit transaction, where `concurrently` is refused.)
 */
export function statementsOf(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:--[^\n]*)?$/m)
    .map((part) =>
      part
        .split("\n")
        .filter((line) => !/^\s*--/.test(line))
        .join("\n")
        .trim(),
    )
    .filter((statement) => statement !== "");
}

/** The version the database is at: the highest recorded migration, 0 for a database never migrated. */
export async function schemaVersion(sql: Sql): Promise<number> {
  try {
    const [row] = await sql<
      [{ version: number | null }]
    >`select max(version) as version from taskbeat_migrations`;
    return row?.version ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return 0;
    throw error;
  }
}

const UNDEFINED_TABLE = "42P01";
const LOCK_NOT_AVAILABLE = "55P03";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Brings the database (the current schema) up to date; returns the versions it applied. */
export async function migrate(
  sql: Sql,
  migrations?: Migration[],
  options: MigrateOptions = {},
): Promise<number[]> {
  const pending = migrations ?? (await loadMigrations());
  const lockTimeoutMs = options.lockTimeoutMs ?? 2_000;
  const attempts = options.attempts ?? 10;
  const backoffMs = options.backoffMs ?? 500;
  // One connection for the whole run: the advisory lock is held by the session, across the transactions.
  const session = await sql.reserve();
  try {
    // One lock per schema: tests migrate many schemas of one database in parallel.
    await session`select pg_advisory_lock(hashtext('taskbeat.migrate.' || current_schema()))`;
    try {
      await session`
        create table if not exists taskbeat_migrations (
          version integer primary key,
          name text not null,
          applied_at timestamptz not null default now()
        )`;
      const lockTimeout = Math.max(1, Math.round(lockTimeoutMs));
      await session.unsafe(`set lock_timeout = ${lockTimeout}`);
      const rows = await session<{ version: number }[]>`select version from taskbeat_migrations`;
      const done = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of pending) {
        if (done.has(migration.version)) continue;
        for (let attempt = 1; ; attempt++) {
          try {
            await applyOne(session, migration, lockTimeout);
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= attempts) throw error;
            const waitMs = Math.min(30_000, backoffMs * 2 ** (attempt - 1));
            options.onRetry?.({ version: migration.version, attempt, waitMs });
            await sleep(waitMs);
          }
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await session`select pg_advisory_unlock(hashtext('taskbeat.migrate.' || current_schema()))`.catch(
        () => {},
      );
      await session.unsafe("reset lock_timeout").catch(() => {});
    }
  } finally {
    session.release();
  }
}

async function applyOne(
  session: ReservedSql,
  migration: Migration,
  lockTimeoutSetting: number,
): Promise<void> {
  if (isNoTransaction(migration)) {
    // No lock_timeout here: a concurrent build waits for older transactions without blocking anyone,
    // and giving up half-way would leave an invalid index behind that `if not exists` then skips.
    await session.unsafe("set lock_timeout = 0");
    try {
      for (const statement of statementsOf(migration.sql)) await session.unsafe(statement);
    } finally {
      await session.unsafe(`set lock_timeout = ${lockTimeoutSetting}`);
    }
    await session`insert into taskbeat_migrations (version, name) values (${migration.version}, ${migration.name})`;
    return;
  }
  await session.unsafe("begin");
  try {
    await session`insert into taskbeat_migrations (version, name) values (${migration.version}, ${migration.name})`;
    await session.unsafe(migration.sql);
    await session.unsafe("commit");
  } catch (error) {
    await session.unsafe("rollback").catch(() => {});
    throw error;
  }
}

/**
 * For MIGRATE_ON_START=false: waits until the database is at `version` or beyond (a pre-deploy Job
 * migrates it), polling, so a pod never serves against a schema older than its code.
 */
export async function waitForSchema(
  sql: Sql,
  version: number,
  options: { timeoutMs: number; pollMs?: number; onWait?: (current: number) => void },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    const current = await schemaVersion(sql).catch(() => -1);
    if (current >= version) return;
    if (!warned) {
      options.onWait?.(current);
      warned = true;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `the database schema is at version ${current < 0 ? "unknown" : current}, this build needs ${version}: ` +
          "run `taskbeat migrate` (the pre-deploy migration Job) or set MIGRATE_ON_START=true",
      );
    }
    await sleep(options.pollMs ?? 1_000);
  }
}
