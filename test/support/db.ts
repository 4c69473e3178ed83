/**
 * Each test file gets its own schema in the shared test database, migrated from scratch, and
 * dropped afterwards (pg-boss style): files run in parallel without seeing each other's rows.
 * Without a server, each file gets its own embedded PGlite instead.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, inject } from "vitest";
import { migrate } from "../../runtime/db/migrate.js";

export interface TestDb {
  sql: Sql;
  schema: string;
  /** A connection URL whose search_path is this file's schema, for processes the test starts. */
  url: string;
  embedded: boolean;
}

/** Call at the top of a test file; the returned object is filled in `beforeAll`. */
export function useTestDb(name: string, options: { max?: number } = {}): TestDb {
  const db = {} as TestDb;
  let admin: Sql | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (inject("databaseIsEmbedded")) {
      const { startEmbeddedPostgres } = await import("../../runtime/db/embedded.js");
      // Through the password gate, as `taskbeat start` serves it: the clients of one file (its pool, a
      // child process it starts) take turns on PGlite's one session.
      const runDir = await mkdtemp(join(tmpdir(), "taskbeat-test-db-"));
      const embedded = await startEmbeddedPostgres({
        dataDir: undefined,
        port: 0,
        credentials: { user: "taskbeat", password: randomBytes(12).toString("hex") },
        socketDir: join(runDir, "run"),
      });
      stopEmbedded = async () => {
        await embedded.close();
        await rm(runDir, { recursive: true, force: true });
      };
      const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
      await migrate(sql);
      Object.assign(db, { sql, schema: "public", url: embedded.url, embedded: true });
      return;
    }
    const base = inject("databaseUrl");
    const schema = `t_${createHash("sha256").update(`${name}:${process.pid}:${Date.now()}`).digest("hex").slice(0, 12)}`;
    admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create schema ${schema}`);
    const url = new URL(base);
    url.searchParams.set("options", `-c search_path=${schema}`);
    const sql = postgres(base, {
      max: options.max ?? 5,
      onnotice: () => {},
      connection: { search_path: schema },
    });
    await migrate(sql);
    Object.assign(db, { sql, schema, url: url.toString(), embedded: false });
  });
  afterAll(async () => {
    await db.sql?.end({ timeout: 5 });
    if (admin && db.schema) await admin.unsafe(`drop schema if exists ${db.schema} cascade`);
    await admin?.end({ timeout: 5 });
    await stopEmbedded?.();
  });
  return db;
}
