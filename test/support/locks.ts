/**
 * Lock-order tests: hold a row lock in one transaction, start a call that must wait for it, then, while
 * it waits, do in that transaction what the conflicting writer does next. If the waiting call already
 * holds a lock that step needs, the step times out (the deadlock it would have been) instead of passing.
 */
import type { Sql, TransactionSql } from "postgres";

export interface Waited<T> {
  /** The waiting call, settled once the holding transaction has committed. */
  blocked: Promise<T>;
  /** What the meanwhile step threw (a lock timeout when the order is wrong); undefined when it ran. */
  meanwhile: unknown;
}

export async function whileWaiting<T>(
  sql: Sql,
  hold: (tx: TransactionSql) => Promise<unknown>,
  call: () => Promise<T>,
  meanwhile: (tx: TransactionSql) => Promise<unknown>,
): Promise<Waited<T>> {
  let blocked: Promise<T> | undefined;
  const failure = await sql.begin(async (tx) => {
    await hold(tx);
    const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
    blocked = call();
    // Handled by whoever awaits `blocked`; this keeps a rejection from counting as unhandled meanwhile.
    blocked.catch(() => {});
    await waitForWaiter(sql, me?.pid ?? 0);
    try {
      await tx.savepoint(async (sp) => {
        await sp`set local lock_timeout = '500ms'`;
        await meanwhile(sp);
      });
      return undefined;
    } catch (error) {
      return error;
    }
  });
  return { blocked: blocked as Promise<T>, meanwhile: failure };
}

async function waitForWaiter(sql: Sql, pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await sql`select 1 from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`;
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the call never waited for the held lock");
}
