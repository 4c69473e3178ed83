/**
 * Applies the numbered SQL files in `migrations/` that the database has not seen, in order, in one
 * transaction: all of them or none. Several processes may start at once (replicas of every group):
 * an advisory lock serialises them, and each version is recorded before its SQL runs, so a second
 * migrator that somehow got past the lock would fail on the primary key rather than apply twice.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
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

/** Brings the database (the current schema) up to date; returns the versions it applied. */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<number[]> {
  const pending = migrations ?? (await loadMigrations());
  return sql.begin(async (tx) => {
    // One lock per schema: tests migrate many schemas of one database in parallel.
    await tx`select pg_advisory_xact_lock(hashtext('taskbeat.migrate.' || current_schema()))`;
    await tx`
      create table if not exists taskbeat_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const rows = await tx<{ version: number }[]>`select version from taskbeat_migrations`;
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of pending) {
      if (done.has(migration.version)) continue;
      await tx`insert into taskbeat_migrations (version, name) values (${migration.version}, ${migration.name})`;
      await tx.unsafe(migration.sql);
      applied.push(migration.version);
    }
    return applied;
  });
}
