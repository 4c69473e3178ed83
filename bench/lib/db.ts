/** A bench schema of its own on DATABASE_URL, migrated from scratch and dropped afterwards. */
import postgres, { type Sql } from "postgres";
import { migrate } from "../../runtime/db/migrate.js";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

export interface BenchDb {
  sql: Sql;
  schema: string;
  /** A URL whose search_path is the bench schema, for processes the bench starts. */
  url: string;
  drop(): Promise<void>;
}

export async function openBenchDb(base = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): Promise<BenchDb> {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema ${schema}`);
  const sql = postgres(base, { max: 4, onnotice: () => {}, connection: { search_path: schema } });
  await migrate(sql);
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    sql,
    schema,
    url: url.toString(),
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop schema if exists ${schema} cascade`);
      await admin.end({ timeout: 5 });
    },
  };
}

/**
 * Writes out a seed's dirty buffers before anything is timed (1M tasks and their indexes are several
 * times shared_buffers); otherwise the timed statements, needing free buffers, write them out themselves
 * (measured in bench/claim.ts: ~1,200 backend writes over 7 ticks right after seeding 1M tasks, none after
 * a checkpoint; in bench/mcp.ts the floors were ~1.4× higher). Skipped without the privilege (superuser
 * or pg_checkpoint).
 */
export async function checkpoint(sql: Sql): Promise<void> {
  try {
    await sql`checkpoint`;
  } catch (error) {
    if ((error as { code?: string }).code !== "42501") throw error;
  }
}
