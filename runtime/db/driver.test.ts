/**
 * The postgres.js patch (patches/postgres+<version>.patch, applied by patch-package at install): a
 * backend terminated under the driver fails the queries that used it, and nothing else — no uncaught
 * TypeError from a write to a socket that is gone (porsager/postgres#1154, #1208), no unhandled
 * rejection from the array-types query of a new connection (#1192, #1205, #1223), and the pool
 * reconnects by itself. Each case crashed the test process (vitest reports the error) before the patch.
 * Needs a real PostgreSQL to terminate backends in.
 */
import postgres, { type Sql } from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const embedded = inject("databaseIsEmbedded");
const url = inject("databaseUrl");

describe.skipIf(embedded)(
  `postgres.js when its backend is terminated${embedded ? " (skipped: needs a real PostgreSQL)" : ""}`,
  () => {
    let admin: Sql;
    const pools: Sql[] = [];
    const pool = (options: postgres.Options<Record<string, postgres.PostgresType>> = {}) => {
      const sql = postgres(url, { onnotice: () => {}, ...options });
      pools.push(sql);
      return sql;
    };
    const terminate = async (pid: number) => {
      await admin`select pg_terminate_backend(${pid})`;
      // The backend is gone once it left pg_stat_activity; the client sees the close right after.
      for (let i = 0; i < 100; i++) {
        const [row] = await admin<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_activity where pid = ${pid}`;
        if (row?.n === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);

    beforeAll(() => {
      admin = postgres(url, { max: 1, onnotice: () => {} });
      process.on("unhandledRejection", onUnhandled);
    });
    afterEach(async () => {
      for (const sql of pools.splice(0)) await sql.end({ timeout: 1 });
      // Give a discarded promise its turn to be reported.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    });
    afterAll(async () => {
      process.off("unhandledRejection", onUnhandled);
      await admin.end({ timeout: 1 });
    });

    it("a reserved connection fails every later query with CONNECTION_CLOSED (#1208), and the pool goes on", async () => {
      const sql = pool({ max: 2 });
      const reserved = await sql.reserve();
      const [{ pid }] = await reserved<[{ pid: number }]>`select pg_backend_pid() as pid`;
      await terminate(pid);
      await expect(reserved`select 1`).rejects.toThrow();
      // Before the patch: an uncaught TypeError from nextWrite, in a setImmediate, killing the process.
      await expect(reserved`select 1`).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
      reserved.release();
      // The pool goes on: the released connection reconnects on its next use. A query may still meet it
      // closed when the close has not been noticed yet (seen on Node 24); the retry any caller makes answers.
      const ok = async () => (await sql<[{ ok: number }]>`select 1 as ok`)[0].ok;
      const first = await ok().catch((error: unknown) => error);
      if (first instanceof Error) expect(first).toMatchObject({ code: "CONNECTION_CLOSED" });
      expect(first instanceof Error ? await ok() : first).toBe(1);
    });

    it("a transaction whose backend dies rejects, sends nothing more, and the pool reconnects", async () => {
      const sql = pool({ max: 1 });
      await sql`select 1`; // the connection is up, its types fetched
      let pid = 0;
      const attempt = sql.begin(async (tx) => {
        [{ pid }] = await tx<[{ pid: number }]>`select pg_backend_pid() as pid`;
        await terminate(pid);
        await tx`select 1`;
      });
      await expect(attempt).rejects.toThrow();
      // The pool's one connection comes back by itself, on a new backend.
      const [row] = await sql<[{ pid: number }]>`select pg_backend_pid() as pid`;
      expect(row.pid).not.toBe(pid);
      await expect(sql.begin((tx) => tx`select 2 as two`)).resolves.toEqual([{ two: 2 }]);
    });

    it("a failing array-types query of a new connection fails only the query waiting for it (#1192)", async () => {
      // A 1 ms statement_timeout from the start-up cancels the driver's pg_type query on the new connection.
      const sql = pool({ max: 1, connection: { statement_timeout: 1 } });
      const first = await sql`select 1 as one`.then(
        () => "answered",
        (error: { code?: string }) => error.code,
      );
      // Before the patch the cancelled pg_type query also surfaced as an unhandled rejection (afterEach).
      expect(["answered", "57014"]).toContain(first);
    });
  },
);
