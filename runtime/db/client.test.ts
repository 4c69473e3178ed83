import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import {
  createSql,
  databaseReachable,
  MAX_RECONNECT_DELAY_SECONDS,
  reconnectDelaySeconds,
} from "./client.js";

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

describe("reconnect backoff", () => {
  it("doubles from 25–50 ms and never exceeds a second, however many reconnects failed", () => {
    for (const failed of [0, 1, 4, 10, 50, 1_000]) {
      const delays = Array.from({ length: 200 }, () => reconnectDelaySeconds(failed));
      const ceiling = Math.min(0.05 * 2 ** failed, MAX_RECONNECT_DELAY_SECONDS);
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(ceiling / 2);
    }
  });

  it("a query after a run of failed connects waits at most about a second, not postgres.js' up to 20 s", async () => {
    // A port nobody listens on: every connect fails with ECONNREFUSED, which postgres.js counts towards
    // its backoff. Its default would make the 7th query wait 3.6–7.3 s before it even tries.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const sql = createSql({ url: `postgres://nobody@127.0.0.1:${port}/none`, max: 1 });
    try {
      for (let i = 0; i < 6; i++) await expect(sql`select 1`).rejects.toThrow();
      const startedAt = performance.now();
      await expect(sql`select 1`).rejects.toThrow();
      expect(performance.now() - startedAt).toBeLessThan(MAX_RECONNECT_DELAY_SECONDS * 1_000 + 1_000);
    } finally {
      await sql.end({ timeout: 0 });
    }
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
