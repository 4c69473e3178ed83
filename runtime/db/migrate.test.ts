import { describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { loadMigrations, migrate } from "./migrate.js";

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
