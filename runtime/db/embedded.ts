/**
 * PostgreSQL with no setup: PGlite (Postgres compiled to WebAssembly) served over the Postgres wire
 * protocol, so the same `postgres` client and SQL serve both it and a real server. PGlite is one
 * database session: clients must use a pool of one (with more, interleaved transactions fail with
 * `portal "" does not exist`; with one, concurrent transactions queue and succeed).
 */
import { createServer } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** A `postgres://` URL for the `postgres` client (use `max: 1`). */
  url: string;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the data lives; undefined keeps it in memory (tests). */
  dataDir: string | undefined;
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port === 0 ? await freePort(host) : options.port;
  // pg_trgm: search_tasks' typo fallback (migration 0009 creates it; PGlite must load it first).
  const extensions = { pg_trgm };
  const db = await PGlite.create(
    options.dataDir === undefined ? { extensions } : { dataDir: options.dataDir, extensions },
  );
  const server = new PGLiteSocketServer({ db, host, port, maxConnections: 16 });
  await server.start();
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("could not find a free port");
  return address.port;
}
