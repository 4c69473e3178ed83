/**
 * The embedded database behind its password (embedded-auth.ts) and its turns (embedded-turns.ts), with
 * the `postgres` client over real sockets: a wrong password is refused like PostgreSQL refuses it, and
 * several clients at once (each its own connection, as `start` and `mcp` have) get their own answers,
 * transactions included; without turns PGlite's socket server mixed their protocol messages.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded.js";

let dir = "";
let embedded: EmbeddedPostgres;
const credentials = { user: "taskbeat", password: "s3cret pass" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "taskbeat-embedded-"));
  embedded = await startEmbeddedPostgres({
    dataDir: undefined,
    port: 0,
    credentials,
    socketDir: join(dir, "run"),
  });
}, 60_000);

afterAll(async () => {
  await embedded?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the embedded database behind its password", () => {
  it("refuses a wrong password or user with 28P01, accepts the generated one", async () => {
    const port = embedded.port;
    for (const [user, password] of [
      ["taskbeat", "wrong"],
      ["postgres", credentials.password],
    ]) {
      const sql = postgres({ host: "127.0.0.1", port, user, password, database: "postgres", max: 1 });
      await expect(sql`select 1`).rejects.toMatchObject({ code: "28P01" });
      await sql.end();
    }
    const sql = postgres(embedded.url, { max: 1 });
    expect(await sql`select current_user as who`).toHaveLength(1);
    await sql.end();
  });

  it("gives each of several clients its own answers, with transactions in between", async () => {
    const clients = [0, 1, 2].map(() => postgres(embedded.url, { max: 1, onnotice: () => {} }));
    const [first] = clients;
    await first?.unsafe("create table if not exists turns (client int, n int)");
    try {
      await Promise.all(
        clients.map(async (sql, client) => {
          for (let n = 0; n < 40; n++) {
            const [row] = await sql<{ n: number; c: number }[]>`select ${n}::int as n, ${client}::int as c`;
            expect(row).toEqual({ n, c: client });
            await sql.begin(async (tx) => {
              await tx`insert into turns values (${client}, ${n})`;
              const [{ count } = { count: 0 }] = await tx<{ count: number }[]>`
                select count(*)::int as count from turns where client = ${client}`;
              expect(count).toBe(n + 1);
            });
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
  }, 60_000);
});
