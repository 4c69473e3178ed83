import { describe, expect, inject, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import {
  isNoTransaction,
  loadMigrations,
  migrate,
  schemaVersion,
  statementsOf,
  waitForSchema,
} from "./migrate.js";

const db = useTestDb("migrate");

describe("migrate", () => {
  it("applied every migration once; running it again applies nothing", async () => {
    const all = await loadMigrations();
    const rows = await db.sql<
      { version: number }[]
    >`select version from taskbeat_migrations order by version`;
    expect(rows.map((row) => row.version)).toEqual(all.map((m) => m.version));
    expect(await migrate(db.sql)).toEqual([]);
  });

  it("concurrent migrators serialise on the advisory lock and apply nothing twice", async () => {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
    expect(results).toEqual([[], [], []]);
  });

  it("a failing migration leaves nothing behind", async () => {
    const all = await loadMigrations();
    const broken = [
      ...all,
      { version: all.length + 1, name: "broken", sql: "create table x (id int); select 1/0;" },
    ];
    await expect(migrate(db.sql, broken)).rejects.toThrow(/division by zero/);
    const [row] = await db.sql<[{ exists: boolean }]>`select to_regclass('x') is not null as exists`;
    expect(row?.exists).toBe(false);
    const versions = await db.sql`select version from taskbeat_migrations where version = ${all.length + 1}`;
    expect(versions).toHaveLength(0);
  });

  it("the weighted search vector ranks a title match above a description match", async () => {
    const [user] = await db.sql<
      [{ id: string }]
    >`insert into users (email) values ('rank@example.com') returning id`;
    await db.sql`
      insert into tasks (user_id, title, description, time_zone) values
        (${user?.id ?? ""}, 'Buy milk', 'for the dentist appointment', 'UTC'),
        (${user?.id ?? ""}, 'Dentist appointment', null, 'UTC')`;
    const rows = await db.sql<{ title: string }[]>`
      select title from tasks, websearch_to_tsquery('english', 'dentist') q
      where search @@ q order by ts_rank(search, q) desc`;
    expect(rows.map((r) => r.title)).toEqual(["Dentist appointment", "Buy milk"]);
  });
});

describe("migrations that cannot take the app down", () => {
  it("splits a no-transaction migration into its statements, comments dropped", () => {
    expect(
      statementsOf(
        "-- taskbeat:no-transaction\n-- why\ncreate index concurrently if not exists a on t (x);\n\n" +
          "create or replace function f() returns int\n  language sql\n  return 1;  -- trailing\ndrop index concurrently if exists b;\n",
      ),
    ).toEqual([
      "create index concurrently if not exists a on t (x)",
      "create or replace function f() returns int\n  language sql\n  return 1",
      "drop index concurrently if exists b",
    ]);
  });

  it("builds the large tables' indexes concurrently, and they are valid", async () => {
    const all = await loadMigrations();
    const marked = all.filter(isNoTransaction).map((m) => m.version);
    expect(marked).toEqual(expect.arrayContaining([4, 6, 7]));
    for (const m of all.filter(isNoTransaction)) {
      for (const statement of statementsOf(m.sql)) {
        // Idempotent, so a migrator that died half-way can run the file again from the top.
        expect(statement, `${m.version}`).toMatch(/if (not )?exists|or replace/i);
      }
    }
    const invalid = await db.sql`
      select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and not i.indisvalid`;
    expect(invalid).toEqual([]);
    const [failedIdx] = await db.sql<
      [{ ok: boolean }]
    >`select to_regclass('reminders_failed_idx') is not null as ok`;
    expect(failedIdx?.ok).toBe(true);
  });

  it("with MIGRATE_ON_START=false the app waits for the schema version, and says what to do when it never comes", async () => {
    const version = await schemaVersion(db.sql);
    expect(version).toBe((await loadMigrations()).length);
    await expect(waitForSchema(db.sql, version, { timeoutMs: 1_000 })).resolves.toBeUndefined();
    await expect(waitForSchema(db.sql, version + 1, { timeoutMs: 200, pollMs: 50 })).rejects.toThrow(
      /needs \d+: run `taskbeat migrate`/,
    );
  });

  it.skipIf(inject("databaseIsEmbedded"))(
    "behind a 10 s read transaction, a migration gives up its lock wait and retries, and ordinary reads never queue behind it",
    async () => {
      const all = await loadMigrations();
      const next = {
        version: all.length + 1,
        name: "blocked",
        sql: "alter table tasks add column blocked_probe int",
      };
      const reader = await db.sql.reserve();
      const prober = await db.sql.reserve();
      try {
        await reader.unsafe("begin");
        await reader`select count(*) from tasks`;
        const release = setTimeout(() => void reader.unsafe("commit"), 10_000);
        const retries: number[] = [];
        const migrating = migrate(db.sql, [...all, next], {
          lockTimeoutMs: 200,
          backoffMs: 100,
          attempts: 200,
          onRetry: ({ attempt }) => retries.push(attempt),
        });
        // An ordinary read, bounded by its own lock_timeout: had the ALTER queued for its lock for the read
        // transaction's 10 s, this read would queue behind it and fail with 55P03.
        await prober.unsafe("set lock_timeout = 1500");
        for (let i = 0; i < 10; i++) {
          await prober`select count(*) from tasks`;
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
        expect(retries.length).toBeGreaterThan(0);
        clearTimeout(release);
        await reader.unsafe("commit");
        expect(await migrating).toEqual([next.version]);
        const [column] = await db.sql`
          select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = 'tasks' and column_name = 'blocked_probe'`;
        expect(column).toBeDefined();
      } finally {
        await reader.unsafe("rollback").catch(() => {});
        await prober.unsafe("reset lock_timeout");
        reader.release();
        prober.release();
        await db.sql`alter table tasks drop column if exists blocked_probe`;
        await db.sql`delete from taskbeat_migrations where name = 'blocked'`;
      }
    },
    30_000,
  );
});
