import { describe, expect, it } from "vitest";
import { createSql, databaseReachable } from "./client.js";

const url = process.env.DATABASE_URL;

describe("createSql without a database", () => {
  it("fails on first use with a message naming DATABASE_URL, and closes quietly", async () => {
    const sql = createSql({ url: undefined });
    expect(() => sql`select 1`).toThrow("no database configured: set DATABASE_URL");
    expect(() => sql.begin).toThrow("no database configured: set DATABASE_URL");
    await expect(sql.end()).resolves.toBeUndefined();
  });

  it("databaseReachable fails when the server is not there", async () => {
    const sql = createSql({ url: "postgres://nobody@127.0.0.1:1/none", max: 1 });
    await expect(databaseReachable(sql, AbortSignal.timeout(2_000))).rejects.toThrow();
    await sql.end();
  });
});

describe.skipIf(!url)(
  `createSql against PostgreSQL${url ? "" : " (skipped: DATABASE_URL is not set)"}`,
  () => {
    it("answers queries, and databaseReachable reports it", async () => {
      const sql = createSql({ url, max: 1 });
      try {
        const [row] = await sql<[{ answer: number }]>`select 41 + 1 as answer`;
        expect(row?.answer).toBe(42);
        expect(await databaseReachable(sql, AbortSignal.timeout(2_000))).toBe(true);
      } finally {
        await sql.end();
      }
    });
  },
);
