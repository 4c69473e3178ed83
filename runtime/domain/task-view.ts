/**
 * The task object every tool returns, and the one query that builds it (with its category and
 * tags), so every tool answers the same shape.
 */
import type { PendingQuery, Row, Sql, TransactionSql } from "postgres";
import * as v from "valibot";

export const PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];

const Label = v.object({
  id: v.pipe(v.string(), v.description("Its id.")),
  name: v.string(),
  color: v.nullable(v.pipe(v.string(), v.description("A #RRGGBB colour, or null."))),
});

export const TaskSchema = v.object({
  id: v.string(),
  title: v.string(),
  description: v.nullable(v.string()),
  completed: v.boolean(),
  completed_at: v.nullable(v.pipe(v.string(), v.description("ISO 8601, when it was completed."))),
  priority: v.picklist(PRIORITIES),
  due_date: v.nullable(v.pipe(v.string(), v.description("ISO 8601 with offset, or null."))),
  category: v.nullable(Label),
  tags: v.array(Label),
  recurrence_rule: v.nullable(v.pipe(v.string(), v.description("The normalised RRULE, or null."))),
  time_zone: v.pipe(v.string(), v.description("IANA zone the due date and recurrence are read in.")),
  series_id: v.nullable(v.string()),
  version: v.pipe(v.number(), v.description("Increases on every change.")),
  created_at: v.string(),
  updated_at: v.string(),
});
export type Task = v.InferOutput<typeof TaskSchema>;

interface TaskRow {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  completed_at: Date | null;
  priority: Priority;
  due_at: Date | null;
  category: { id: string; name: string; color: string | null } | null;
  tags: Array<{ id: string; name: string; color: string | null }>;
  recurrence_rule: string | null;
  time_zone: string;
  series_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    completed: row.completed,
    completed_at: iso(row.completed_at),
    priority: row.priority,
    due_date: iso(row.due_at),
    category: row.category,
    tags: row.tags,
    recurrence_rule: row.recurrence_rule,
    time_zone: row.time_zone,
    series_id: row.series_id,
    version: row.version,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A TaskRow's columns, of the task `t` and its category `c` (left-joined). */
const taskColumns = (db: Sql | TransactionSql) => db`
  t.id, t.title, t.description, t.completed, t.completed_at, t.priority, t.due_at,
  t.recurrence_rule, t.time_zone, t.series_id, t.version, t.created_at, t.updated_at,
  case when c.id is null then null
    else json_build_object('id', c.id, 'name', c.name, 'color', c.color) end as category,
  coalesce((
    select json_agg(json_build_object('id', g.id, 'name', g.name, 'color', g.color) order by lower(g.name))
    from task_tags tt join tags g on g.id = tt.tag_id
    where tt.task_id = t.id
  ), '[]'::json) as tags`;

/** The user's tasks with these ids, as task objects, in the order of `ids` (missing ones left out). */
export async function loadTasks(
  db: Sql | TransactionSql,
  userId: string,
  ids: readonly string[],
): Promise<Task[]> {
  if (ids.length === 0) return [];
  const rows = await db<TaskRow[]>`
    select ${taskColumns(db)}
    from tasks t
    left join categories c on c.id = t.category_id
    where t.user_id = ${userId} and t.id = any(${ids as string[]}::uuid[])`;
  const byId = new Map(rows.map((row) => [row.id, toTask(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export interface PagedTask {
  task: Task;
  /** The listing's sort keys of this row, as text, for its cursor. */
  cursorKeys: string[];
}

/**
 * A listing's page of tasks, read in the statement that picks it: one round trip rather than the page's
 * ids first and loadTasks after (each round trip is a good part of a list call's latency). `page` yields
 * `id` and `cursor_keys` (text[]), and the columns `order` sorts it by (as `p.<column>`): a subquery's
 * order does not survive the joins, so the page is sorted again, which for a page is nothing.
 */
export async function loadTaskPage(
  db: Sql,
  userId: string,
  page: PendingQuery<Row[]>,
  order: PendingQuery<Row[]>,
): Promise<PagedTask[]> {
  const rows = await db<(TaskRow & { cursor_keys: string[] })[]>`
    select p.cursor_keys, ${taskColumns(db)}
    from (${page}) p
    join tasks t on t.id = p.id and t.user_id = ${userId}
    left join categories c on c.id = t.category_id
    order by ${order}`;
  return rows.map((row) => ({ task: toTask(row), cursorKeys: row.cursor_keys }));
}
