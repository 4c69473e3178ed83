/**
 * Fixed-window counters in PostgreSQL, so every replica counts the same hits. One statement both counts
 * and answers; old windows are deleted now and then by the same path.
 */
import type { Sql } from "postgres";

/** Counts a hit on `bucket`; true while the window's hits are within `limit`. */
export async function withinLimit(sql: Sql, bucket: string, limit: number, windowSeconds: number) {
  const [row] = await sql<{ hits: number }[]>`
    insert into oauth_rate_limits (bucket, window_start, hits)
    values (${bucket}, to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds}), 1)
    on conflict (bucket, window_start) do update set hits = oauth_rate_limits.hits + 1
    returning hits`;
  if (Math.random() < 0.01)
    await sql`delete from oauth_rate_limits where window_start < now() - interval '1 day'`;
  return (row?.hits ?? 0) <= limit;
}
