/**
 * list_tasks: filters and sort in SQL, keyset pagination. Every sort ends with the id, so rows with
 * equal keys still have one order, and a page starts strictly after the last row of the one before:
 * no duplicates or gaps, even while tasks are added or removed between calls.
 */
import type { PendingQuery, Row, Sql } from "postgres";
import type { CallNotes } from "./call-notes.js";
import type { DomainContext } from "./context.js";
import { startOfDay } from "./dates.js";
import { parseId } from "./ids.js";
import { type ReadDate, readDateInput } from "./natural-dates.js";
import {
  checkLimit,
  decodeCursor,
  encodeCursor,
  type KeyKind,
  type Page,
  TIMESTAMP_FORMAT,
} from "./pages.js";
import { loadTaskPage, PRIORITIES, type Task } from "./task-view.js";
import { checkPriority } from "./tasks-input.js";

export const TASK_SORTS = ["created", "due", "priority"] as const;
export const TASK_STATUSES = ["all", "pending", "completed"] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export type SortOrder = "asc" | "desc";

export interface TaskQuery {
  status?: (typeof TASK_STATUSES)[number] | undefined;
  priority?: string | undefined;
  category_id?: string | undefined;
  /** Tasks carrying every one of these tags. */
  tag_ids?: readonly string[] | undefined;
  /** Due at or before; a date alone: on or before that day (in the user's zone). */
  due_before?: string | undefined;
  /** Due strictly after; a date alone: on or after that day (in the user's zone). */
  due_after?: string | undefined;
  sort_by?: TaskSort | undefined;
  /** Default: newest first for created, soonest first for due, most urgent first for priority. */
  order?: SortOrder | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

type Fragment = PendingQuery<Row[]>;

export const joinSql = (sql: Sql, parts: readonly Fragment[]): Fragment =>
  parts.reduce((all, part) => sql`${all}, ${part}`);

/** The sort keys (expressions, their exact text, their kinds) and one direction for all of them. */
function sortKeys(sql: Sql, sort: TaskSort, order: SortOrder) {
  const stamp = (column: Fragment, nulls: string) => ({
    expr: sql`coalesce(${column}, ${nulls}::text::timestamptz)`,
    text: sql`coalesce(to_char(${column} at time zone 'UTC', ${TIMESTAMP_FORMAT}), ${nulls})`,
    kind: "timestamp" as KeyKind,
  });
  if (sort === "created") {
    // Never null, and bare, so the (user_id, created_at, id) index can serve the sort.
    const text = sql`to_char(t.created_at at time zone 'UTC', ${TIMESTAMP_FORMAT})`;
    return { dir: order, keys: [{ expr: sql`t.created_at`, text, kind: "timestamp" as KeyKind }] };
  }
  // Tasks without a due date come last both ways: "infinity" sorts last ascending, "-infinity" descending.
  const due = (dir: SortOrder) => stamp(sql`t.due_at`, dir === "asc" ? "infinity" : "-infinity");
  if (sort === "due") return { dir: order, keys: [due(order)] };
  // Within a priority, the soonest due first; the sign folds both orders into one ascending sort.
  const sign = order === "desc" ? -1 : 1;
  const rank = sql`array_position(${PRIORITIES as unknown as string[]}::text[], t.priority) * ${sign}`;
  return {
    dir: "asc" as SortOrder,
    keys: [{ expr: rank, text: sql`(${rank})::text`, kind: "integer" as KeyKind }, due("asc")],
  };
}

/**
 * A due_before / due_after filter as a condition on `t.due_at`. A date alone is a whole day in the zone:
 * due_after "today" must find what is due later today, and due_before "friday" all of Friday.
 */
function dueBound(sql: Sql, side: "before" | "after", read: ReadDate, timeZone: string) {
  if (!read.dateOnly) {
    return {
      at: read.at,
      condition: side === "before" ? sql`t.due_at <= ${read.at}` : sql`t.due_at > ${read.at}`,
    };
  }
  if (side === "after") {
    const from = startOfDay(read.at, timeZone);
    return { at: from, condition: sql`t.due_at >= ${from}` };
  }
  // The next day's start, exclusive: also the last milliseconds of the day.
  const until = startOfDay(new Date(read.at.getTime() + 1000), timeZone);
  return { at: until, condition: sql`t.due_at < ${until}` };
}

export async function listTasks(
  ctx: DomainContext,
  query: TaskQuery,
  notes?: CallNotes,
): Promise<Page<Task>> {
  const { sql, user } = ctx;
  const sort = query.sort_by ?? "created";
  const order = query.order ?? (sort === "due" ? "asc" : "desc");
  const limit = checkLimit(query.limit);
  const priority = query.priority === undefined ? undefined : checkPriority(query.priority);
  const bound = (text: string | undefined, side: "before" | "after") => {
    if (text === undefined) return undefined;
    const field = `due_${side}`;
    const read = readDateInput(text, { timeZone: user.timeZone, field });
    notes?.read(field, text, user.timeZone, read);
    return { ...dueBound(sql, side, read, user.timeZone), dateOnly: read.dateOnly };
  };
  const dueBefore = bound(query.due_before, "before");
  const dueAfter = bound(query.due_after, "after");
  const categoryId = query.category_id === undefined ? undefined : parseId(query.category_id);
  const tagIds = [...new Set((query.tag_ids ?? []).map((id) => parseId(id) ?? ""))].sort();
  const status = query.status ?? "all";
  // The cursor is only good for these filters and this order, however they were spelt.
  const listing = {
    name: "tasks",
    query: [
      ...[sort, order, status, priority, categoryId, tagIds],
      ...[dueBefore?.at.getTime(), dueBefore?.dateOnly, dueAfter?.at.getTime(), dueAfter?.dateOnly],
    ],
  };
  const { dir, keys } = sortKeys(sql, sort, order);
  const after =
    query.cursor &&
    decodeCursor(
      query.cursor,
      listing,
      keys.map((key) => key.kind),
    );
  // An id that cannot exist matches nothing; asking Postgres would only turn it into a type error.
  if ((query.category_id !== undefined && categoryId === undefined) || tagIds.includes("")) {
    return { items: [], nextCursor: null };
  }
  const conditions = [
    sql`t.user_id = ${user.id}`,
    ...(status === "pending" ? [sql`not t.completed`] : []),
    ...(status === "completed" ? [sql`t.completed`] : []),
    ...(priority ? [sql`t.priority = ${priority}`] : []),
    ...(categoryId ? [sql`t.category_id = ${categoryId}`] : []),
    ...(dueBefore ? [dueBefore.condition] : []),
    ...(dueAfter ? [dueAfter.condition] : []),
  ];
  if (tagIds.length > 0) {
    conditions.push(sql`${tagIds.length} = (select count(*) from task_tags tt
      where tt.task_id = t.id and tt.tag_id = any(${tagIds}::uuid[]))`);
  }
  if (after) {
    // One row comparison over all keys and the id: "strictly after the last row" in the listing's order.
    const exprs = joinSql(sql, [...keys.map((key) => key.expr), sql`t.id`]);
    const values = after.keys.map((value, i) =>
      keys[i]?.kind === "integer" ? sql`${value}::int` : sql`${value}::text::timestamptz`,
    );
    const last = joinSql(sql, [...values, sql`${after.id}::uuid`]);
    conditions.push(dir === "asc" ? sql`(${exprs}) > (${last})` : sql`(${exprs}) < (${last})`);
  }
  const direction = dir === "asc" ? sql`asc` : sql`desc`;
  const texts = joinSql(
    sql,
    keys.map((key) => key.text),
  );
  const orderBy = joinSql(
    sql,
    [...keys.map((key) => key.expr), sql`t.id`].map((expr) => sql`${expr} ${direction}`),
  );
  // The keys again as columns k0, k1…, so the page can be put back in order once its tasks are joined.
  const column = (i: number) => sql(`k${i}`);
  const sortColumns = joinSql(
    sql,
    keys.map((key, i) => sql`${key.expr} as ${column(i)}`),
  );
  const reorder = joinSql(
    sql,
    [...keys.map((_, i) => sql`t.${column(i)}`), sql`t.id`].map((expr) => sql`${expr} ${direction}`),
  );
  const rows = await loadTaskPage(
    sql,
    user.id,
    sql`
      select t.*, array[${texts}]::text[] as cursor_keys, ${sortColumns} from tasks t
      where ${conditions.reduce((all, condition) => sql`${all} and ${condition}`)}
      order by ${orderBy}
      limit ${limit + 1}`,
    reorder,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => row.task),
    nextCursor: rows.length > limit && last ? encodeCursor(listing, last.cursorKeys, last.task.id) : null,
  };
}
