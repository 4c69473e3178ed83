/**
 * Test support for the claim and check-due-tasks tests (never imported at run time): users, tasks and
 * reminders inserted with plain SQL, and the outbox's reminder events read back.
 */
import type { Sql } from "postgres";
import { TOPICS } from "../../runtime/outbox/enqueue.js";

let users = 0;

export async function seedUser(sql: Sql): Promise<string> {
  const email = `claim${++users}.${process.pid}.${Date.now()}@example.com`;
  const [row] = await sql<{ id: string }[]>`insert into users (email) values (${email}) returning id`;
  if (!row) throw new Error("no user inserted");
  return row.id;
}

/** `n` tasks of one user, due in an hour unless said otherwise. */
export async function seedTasks(
  sql: Sql,
  userId: string,
  n: number,
  options: { completed?: boolean; dueInSeconds?: number | null } = {},
): Promise<string[]> {
  const completed = options.completed ?? false;
  const due = options.dueInSeconds === undefined ? 3600 : options.dueInSeconds;
  const rows = await sql<{ id: string }[]>`
    insert into tasks (user_id, title, time_zone, due_at, completed, completed_at)
    select ${userId}, 'Task ' || g, 'UTC',
      ${due === null ? null : sql`now() + make_interval(secs => ${due})`},
      ${completed}, ${completed ? sql`now()` : null}
    from generate_series(1, ${n}) g
    returning id`;
  return rows.map((row) => row.id);
}

/**
 * `perTask` reminders on each task, the k-th one (over all) at now + inSeconds + k × stepSeconds;
 * negative seconds put them in the past. Returns their ids in that order.
 */
export async function seedReminders(
  sql: Sql,
  taskIds: readonly string[],
  options: { inSeconds: number; stepSeconds?: number; perTask?: number; state?: string },
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into reminders (task_id, user_id, remind_at, state)
    select t.id, t.user_id,
      now() + make_interval(secs => ${options.inSeconds}::float8
        + (row_number() over (order by i.n, g) - 1) * ${options.stepSeconds ?? 0}::float8),
      ${options.state ?? "pending"}
    from unnest(${taskIds as string[]}::uuid[]) with ordinality as i (id, n)
    join tasks t on t.id = i.id
    cross join generate_series(1, ${options.perTask ?? 1}) g
    order by i.n, g
    returning id`;
  return rows.map((row) => row.id);
}

export interface ReminderEvent {
  topic: string;
  partition_key: string;
  event: { id: string; type: string; subject: string; data: Record<string, unknown> };
}

export const reminderEvents = (sql: Sql): Promise<ReminderEvent[]> =>
  sql<ReminderEvent[]>`
    select topic, partition_key, event from outbox where topic = ${TOPICS.taskReminders} order by seq`;

export const reminderStates = async (sql: Sql, ids: readonly string[]) =>
  sql<{ id: string; state: string; attempts: number }[]>`
    select id, state, attempts from reminders where id = any(${ids as string[]}::uuid[])`;
