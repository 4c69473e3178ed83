/**
 * The gauges that need the database (outbox backlog and age, dead rows, reminders needing attention, dead
 * letters), read at scrape time with one statement. A scrape must stay cheap and must not hang on a busy
 * or unreachable database: the statement is cancelled after `timeoutMs`, and its result is kept for
 * `cacheMs`, so several scrapers (or a fast scrape interval) cost one query. Each count reads a small set:
 * the outbox holds only unpublished rows, and the reminder states counted are the few in flight, each with
 * a partial index (sent and cancelled reminders are history and never counted).
 */
import type { Sql } from "postgres";
import type { Logger } from "./log.js";
import type { Collector } from "./metrics.js";

interface Row {
  pending: number;
  oldest: number | null;
  dead: number;
  reminders_pending: number;
  reminders_published: number;
  reminders_failed: number;
  dead_letters: Record<string, number> | null;
}

export interface DbGaugeOptions {
  timeoutMs?: number;
  cacheMs?: number;
  log?: Logger;
}

export function databaseGauges(sql: Sql, options: DbGaugeOptions = {}): Collector {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 5_000;
  let cached: { at: number; row: Row | undefined } | undefined;
  let reading: Promise<Row | undefined> | undefined;

  const read = async (): Promise<Row | undefined> => {
    const query = sql<Row[]>`
      select
        (select count(*) from outbox)::int as pending,
        (select extract(epoch from now() - created_at) from outbox order by seq limit 1)::float8 as oldest,
        (select count(*) from outbox_dead)::int as dead,
        (select count(*) from reminders where state = 'pending')::int as reminders_pending,
        (select count(*) from reminders where state = 'published')::int as reminders_published,
        (select count(*) from reminders where state = 'failed')::int as reminders_failed,
        (select jsonb_object_agg(source, n) from (
          select source, count(*)::int as n from dead_letters group by source) d) as dead_letters`;
    const timer = setTimeout(() => query.cancel(), timeoutMs);
    try {
      return (await query)[0];
    } catch (error) {
      options.log?.warn("metrics: could not read the database gauges", { error });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  return async (metrics) => {
    if (!cached || performance.now() - cached.at > cacheMs) {
      reading ??= read().finally(() => {
        reading = undefined;
      });
      const row = await reading;
      cached = { at: performance.now(), row };
    }
    const { row } = cached;
    for (const gauge of [
      metrics.outboxPending,
      metrics.outboxOldestAge,
      metrics.outboxDead,
      metrics.reminders,
      metrics.deadLetters,
    ])
      gauge.reset();
    metrics.databaseUp.set({}, row ? 1 : 0);
    if (!row) return;
    metrics.outboxPending.set({}, row.pending);
    metrics.outboxOldestAge.set({}, Math.max(0, row.oldest ?? 0));
    metrics.outboxDead.set({}, row.dead);
    metrics.reminders.set({ state: "pending" }, row.reminders_pending);
    metrics.reminders.set({ state: "published" }, row.reminders_published);
    metrics.reminders.set({ state: "failed" }, row.reminders_failed);
    // Both sources always present (at 0), so an alert on an increase sees the first one.
    const dead = row.dead_letters ?? {};
    for (const source of new Set([...DEAD_LETTER_SOURCES, ...Object.keys(dead)])) {
      metrics.deadLetters.set({ source }, dead[source] ?? 0);
    }
    metrics.deadLetters.set({ source: "outbox" }, row.dead);
  };
}

/** Where dead letters come from: Dapr's dead-letter topics, and rows the outbox relay gave up on. */
export const DEAD_LETTER_SOURCES = ["task-reminders-dlq", "task-recurrence-dlq"] as const;
