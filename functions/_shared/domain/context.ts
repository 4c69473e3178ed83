/**
 * What domain functions and MCP tools work with: the database, the authenticated user, and a way to
 * say "events were committed" so the outbox relay publishes them right away instead of at its next tick.
 */
import type { Sql, TransactionSql } from "postgres";
import type { Logger } from "../../../runtime/log.js";
import { enqueueEvents, type NewOutboxEvent } from "../../../runtime/outbox/enqueue.js";
import type { Span } from "../../../runtime/trace.js";

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  /** IANA zone; dates without a time mean the end of that day here. */
  timeZone: string;
  /** Default reminder offset for tasks with a due date; null = none. */
  defaultReminderMinutes: number | null;
}

export interface DomainContext {
  sql: Sql;
  user: User;
  log: Logger;
  /** Called after a transaction that wrote outbox rows commits. */
  onEventsCommitted?: () => void;
  /** The request's span: the events written continue its trace (none outside a request). */
  span?: Span;
}

/** The context every MCP tool's `handle` receives. Identity comes only from authentication. */
export type ToolContext = DomainContext;

export type Tx = TransactionSql;

/**
 * Runs `work` in one transaction. Events it emits are inserted into the outbox in that same
 * transaction, so a write and its events commit together or not at all.
 */
export async function transact<T>(
  ctx: Pick<DomainContext, "sql" | "onEventsCommitted" | "span">,
  work: (tx: Tx, emit: (event: NewOutboxEvent) => void) => Promise<T>,
): Promise<T> {
  let emitted = 0;
  const result = await ctx.sql.begin(async (tx) => {
    const events: NewOutboxEvent[] = [];
    const value = await work(tx, (event) => events.push(event));
    await enqueueEvents(tx, events, ctx.span);
    emitted = events.length;
    return value;
  });
  if (emitted > 0) ctx.onEventsCommitted?.();
  return result as T;
}
