/**
 * The one PostgreSQL client of the process, built from config and handed to handlers in `ctx.sql`.
 *
 * postgres.js is pinned and patched (patches/postgres+<version>.patch, applied by patch-package at
 * install and in the image's build stage): unpatched, a session terminated under it could crash the
 * process or leave a pool connection waiting forever. With the patch a dropped connection fails only
 * the queries that were on it and the pool reconnects by itself; test/chaos/connection-kills.test.ts
 * proves it on `serve`, runtime/db/driver.test.ts case by case. See docs/operations.md, "Dropped
 * database connections". `?application_name=` in DATABASE_URL overrides the sessions' "taskbeat".
 */
import postgres, { type Sql } from "postgres";

export interface DatabaseOptions {
  url: string | undefined;
  /** Pool size; keep it small: each pod has its own pool and PostgreSQL's connections are finite. */
  max?: number;
}

export function createSql({ url, max = 10 }: DatabaseOptions): Sql {
  if (url === undefined) return missingDatabase();
  return postgres(url, {
    max,
    onnotice: () => {},
    connection: { application_name: "taskbeat" },
    backoff: reconnectDelaySeconds,
  });
}

/** The longest a pool connection waits before reconnecting, however many reconnects failed before. */
export const MAX_RECONNECT_DELAY_SECONDS = 1;

/**
 * How long a closed pool connection waits before it reconnects, given how many closes in a row were
 * errors (postgres.js counts them pool-wide and resets on a successful connect). The query that made
 * it reconnect waits that long too, so postgres.js' default (3^n / 100 s, up to 20 s) made a tool call
 * sit 16–20 s behind a reconnect after a burst of dropped sessions, then answer fine: from the
 * assistant's side, a hang. Doubling from 50 ms up to a second, jittered so a pool's connections do not
 * reconnect in step, still spares a database that is down (an ECONNREFUSED costs it nothing; one try a
 * second per connection is little for one that is refusing).
 */
export function reconnectDelaySeconds(failedInARow: number): number {
  const jitter = 0.5 + Math.random() / 2;
  return jitter * Math.min(0.05 * 2 ** failedInARow, MAX_RECONNECT_DELAY_SECONDS);
}

/**
 * Stands in for `sql` when no database is configured, so units that need none still run and a unit
 * that does fails with a message that says what to set, not with a connection error to localhost.
 */
function missingDatabase(): Sql {
  const fail = () => {
    throw new Error("no database configured: set DATABASE_URL");
  };
  const target = Object.assign(() => {}, { end: async () => {} });
  return new Proxy(target, {
    apply: fail,
    get: (object, key) => (key === "end" ? object.end : key === "then" ? undefined : fail()),
  }) as unknown as Sql;
}

/** Whether `sql` can answer a trivial query; for `/readyz`. */
export async function databaseReachable(sql: Sql, signal: AbortSignal): Promise<boolean> {
  const query = sql`select 1`;
  const onAbort = () => query.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await query;
    return true;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
