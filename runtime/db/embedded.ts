/**
 * PostgreSQL with no setup: PGlite (Postgres compiled to WebAssembly) served over the Postgres wire
 * protocol, so the same `postgres` client and SQL serve both it and a real server. PGlite is one
 * database session: clients must use a pool of one (with more, interleaved transactions fail with
 * `portal "" does not exist`; with one, concurrent transactions queue and succeed).
 *
 * With `credentials`, PGlite listens on a Unix socket in `socketDir` (made 0700: only its owner can
 * connect) and loopback TCP gets a password check in front (embedded-auth.ts); without, it listens on
 * TCP directly and accepts anyone (the in-memory database of the tests).
 */
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { type PasswordGate, startPasswordGate } from "./embedded-auth.js";

export interface EmbeddedPostgres {
  /** A `postgres://` URL for the `postgres` client (use `max: 1`); it carries the password. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the data lives; undefined keeps it in memory (tests). */
  dataDir: string | undefined;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Required from every client (an MD5 password check in front of PGlite). */
  credentials: { user: string; password: string };
  /**
   * Directory of PGlite's own Unix socket, behind the password check, which also makes the clients take
   * turns on PGlite's one session (embedded-turns.ts): there is no way in without it.
   */
  socketDir: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port === 0 ? await freePort(host) : options.port;
  // pg_trgm: search_tasks' typo fallback (a migration creates it; PGlite must load it first).
  const extensions = { pg_trgm };
  const db = await PGlite.create(
    options.dataDir === undefined ? { extensions } : { dataDir: options.dataDir, extensions },
  );
  const { credentials, socketDir } = options;
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  await chmod(socketDir, 0o700);
  const path = join(socketDir, "pglite.sock");
  // A process that died leaves its socket file behind; whoever gets here holds the lock.
  await rm(path, { force: true });
  const server = new PGLiteSocketServer({ db, path, maxConnections: 16 });
  let gate: PasswordGate | undefined;
  try {
    await server.start();
    gate = await startPasswordGate({ upstreamPath: path, host, port, ...credentials });
  } catch (error) {
    await server.stop().catch(() => {});
    await db.close();
    throw error;
  }
  const listening = gate;
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return {
    url: `postgres://${user}:${password}@${host}:${port}/postgres`,
    port,
    async close() {
      await listening.close();
      await server.stop();
      await db.close();
      await rm(path, { force: true });
    },
  };
}

export async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("could not find a free port");
  return address.port;
}
