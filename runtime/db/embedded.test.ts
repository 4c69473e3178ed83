/**
 * The embedded database behind its password (embedded-auth.ts) and its turns (embedded-turns.ts), with
 * the `postgres` client over real sockets: a wrong password is refused like PostgreSQL refuses it, and
 * several clients at once (each its own connection, as `start` and `mcp` have) get their own answers,
 * transactions included; without turns PGlite's socket server mixed their protocol messages.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
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

  it("a client gone in the middle of a transaction and an unsynced exchange leaves the session clean", async () => {
    const setup = postgres(embedded.url, { max: 1, onnotice: () => {} });
    await setup.unsafe("create table if not exists gone (n int)");
    await setup.end();
    // A raw client: BEGIN, an insert, then Parse/Bind/Execute of a failing statement with no Sync (after
    // an error PostgreSQL skips everything until the next Sync), and its socket is cut.
    const raw = await rawClient(embedded.port, credentials);
    await raw.query("BEGIN");
    await raw.query("insert into gone values (1)");
    raw.send(parse("select 1/0"), bind(), execute());
    await new Promise((resolve) => setTimeout(resolve, 200));
    raw.socket.destroy();

    const next = postgres(embedded.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await next<{ n: number }[]>`select ${7}::int as n`;
      expect(row).toEqual({ n: 7 });
      // Not in the departed client's transaction: its insert was rolled back.
      expect(await next`select count(*)::int as count from gone`).toEqual([{ count: 0 }]);
      await next.begin((tx) => tx`insert into gone values (2)`);
      expect(await next`select n from gone`).toEqual([{ n: 2 }]);
    } finally {
      await next.end();
    }
  });
});

/** The frontend message `type` with `body`. */
const frontend = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8");
const parse = (text: string) => frontend("P", Buffer.concat([cstring(""), cstring(text), Buffer.alloc(2)]));
const bind = () => frontend("B", Buffer.concat([cstring(""), cstring(""), Buffer.alloc(6)]));
const execute = () => frontend("E", Buffer.concat([cstring(""), Buffer.alloc(4)]));

/** A protocol-level client past the MD5 start-up, whose socket the test can cut at any moment. */
async function rawClient(port: number, login: { user: string; password: string }) {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let buffered = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (const wake of waiters.splice(0)) wake();
  });
  /** The next backend message. */
  const next = async (): Promise<{ type: string; body: Buffer }> => {
    for (;;) {
      if (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        const length = buffered.readInt32BE(1);
        const message = {
          type: String.fromCharCode(buffered[0] ?? 0),
          body: buffered.subarray(5, 1 + length),
        };
        buffered = buffered.subarray(1 + length);
        return message;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const untilReady = async () => {
    for (let message = await next(); message.type !== "Z"; message = await next()) {}
  };
  const parameters = Buffer.concat([
    cstring("user"),
    cstring(login.user),
    cstring("database"),
    cstring("postgres"),
    Buffer.from([0]),
  ]);
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + parameters.length, 0);
  startup.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([startup, parameters]));
  const challenge = await next();
  const salt = challenge.body.subarray(4, 8);
  const md5 = (data: Buffer | string) => createHash("md5").update(data).digest("hex");
  socket.write(
    frontend("p", cstring(`md5${md5(Buffer.concat([Buffer.from(md5(login.password + login.user)), salt]))}`)),
  );
  await untilReady();
  return {
    socket,
    send: (...messages: Buffer[]) => socket.write(Buffer.concat(messages)),
    async query(text: string) {
      socket.write(frontend("Q", cstring(text)));
      await untilReady();
    },
  };
}
