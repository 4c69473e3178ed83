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

export interface TaskRow {
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

/** A TaskRow's columns that are the task row's own, of the task `t`. */
export const taskRowColumns = (db: Sql | TransactionSql) => db`
  t.id, t.title, t.description, t.completed, t.completed_at, t.priority, t.due_at,
  t.recurrence_rule, t.time_zone, t.series_id, t.version, t.created_at, t.updated_at`;

/** A category or tag `label` of a task object, as json. */
export const labelJson = (db: Sql | TransactionSql, label: "c" | "g") =>
  db`json_build_object('id', ${db(label)}.id, 'name', ${db(label)}.name, 'color', ${db(label)}.color)`;

/** A task's tags (rows `g` of whatever `from` reads) as json, in the order every tool lists them. */
export const tagsJson = (db: Sql | TransactionSql, from: PendingQuery<Row[]>) =>
  db`coalesce((select json_agg(${labelJson(db, "g")} order by lower(g.name)) ${from}), '[]'::json)`;

/** A TaskRow's columns, of the task `t` and its category `c` (left-joined). */
const taskColumns = (db: Sql | TransactionSql) => db`
  ${taskRowColumns(db)},
  case when c.id is null then null else ${labelJson(db, "c")} end as category,
  ${tagsJson(db, db`from task_tags tt join tags g on g.id = tt.tag_id where tt.task_id = t.id`)} as tags`;

// Date#toISOString's format, for timestamps at time zone 'UTC'. Milliseconds are truncated, as they are
// in the Date postgres.js reads; four-digit years are enough (dates are 1900–9999).
const ISO_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

/**
 * toTask in SQL, as jsonb, for a statement that writes the task object into an event itself
 * (task-insert.ts): `t` has a TaskRow's columns (category and tags as json). add_task.test.ts compares the
 * event with the task object toTask makes of the same row.
 */
export const taskJsonb = (db: Sql | TransactionSql) => {
  const iso = (column: PendingQuery<Row[]>) => db`to_char(${column} at time zone 'UTC', ${ISO_TIMESTAMP})`;
  return db`jsonb_build_object(
    'id', t.id, 'title', t.title, 'description', t.description, 'completed', t.completed,
    'completed_at', ${iso(db`t.completed_at`)}, 'priority', t.priority, 'due_date', ${iso(db`t.due_at`)},
    'category', t.category, 'tags', t.tags, 'recurrence_rule', t.recurrence_rule, 'time_zone', t.time_zone,
    'series_id', t.series_id, 'version', t.version, 'created_at', ${iso(db`t.created_at`)},
    'updated_at', ${iso(db`t.updated_at`)})`;
};

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
 * the page's rows of `tasks` whole (`t.*`), their `cursor_keys` (text[]) and the columns `order` sorts
 * them by (as `t.<column>`): a subquery's order does not survive the join, so the page is sorted again,
 * which for a page is nothing. Taking the rows from the page itself, rather than joining `tasks` again by
 * id, spares each page as many index lookups as it has rows, and a join to plan.
 */
export async function loadTaskPage(
  db: Sql | TransactionSql,
  userId: string,
  page: PendingQuery<Row[]>,
  order: PendingQuery<Row[]>,
): Promise<PagedTask[]> {
  const rows = await db<(TaskRow & { cursor_keys: string[] })[]>`
    select t.cursor_keys, ${taskColumns(db)}
    from (${page}) t
    left join categories c on c.id = t.category_id
    where t.user_id = ${userId}
    order by ${order}`;
  return rows.map((row) => ({ task: toTask(row), cursorKeys: row.cursor_keys }));
}
