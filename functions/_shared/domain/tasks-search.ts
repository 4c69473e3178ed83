/**
 * search_tasks: Postgres full-text search over the weighted `search` column (title A, description B),
 * so a word in the title outranks the same word in a description. `websearch_to_tsquery` reads what
 * people type ("dentist appointment", "\"tax return\"", "report -draft") and never fails to parse.
 * Pages are keyset on (rank, id), the order of the results.
 *
 * The owner condition is stated twice: plainly (`user_id`, `search @@`), which is what the result means,
 * and in the form of tasks_owner_search_idx (migration 0007), which finds only this user's matches in
 * one index scan rather than intersecting everyone's matches with all of the user's tasks.
 */
import type { DomainContext } from "./context.js";
import { DomainError } from "./errors.js";
import { checkLimit, decodeCursor, encodeCursor, type Page } from "./pages.js";
import { loadTaskPage, type Task } from "./task-view.js";

export const MAX_QUERY = 500;

export interface SearchQuery {
  query: string;
  status?: "all" | "pending" | "completed" | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export async function searchTasks(ctx: DomainContext, search: SearchQuery): Promise<Page<Task>> {
  const { sql, user } = ctx;
  const text = search.query.trim();
  if (text === "") {
    throw new DomainError(
      "VALIDATION_ERROR",
      'Give me some words to search for, like "dentist" or "tax return".',
    );
  }
  if (text.length > MAX_QUERY) {
    throw new DomainError("VALIDATION_ERROR", `A search can be at most ${MAX_QUERY} characters.`);
  }
  const limit = checkLimit(search.limit);
  const status = search.status ?? "all";
  // Ranks of other words or another status are no place to continue from.
  const listing = { name: "search", query: [text, status] };
  const after = search.cursor && decodeCursor(search.cursor, listing, ["real"]);
  const page = sql`
    select *, array[rank::text] as cursor_keys from (
      select t.*, ts_rank(t.search, query) as rank
      from tasks t, websearch_to_tsquery('english', ${text}) as query
      where t.search @@ query
        -- Stop words only: nothing can match, and the owner's lexeme alone would read all their tasks.
        and numnode(query) > 0
        -- Compared as text so that it stays a filter: as a uuid the planner also ANDs in the (user_id, …)
        -- btree, rebuilding the bitmap of every task of the user that this index exists to avoid.
        and t.user_id::text = ${user.id}
        and tasks_owner_search(t.search, t.user_id) @@ (query && tasks_owner_query(${user.id}))
        ${status === "pending" ? sql`and not t.completed` : sql``}
        ${status === "completed" ? sql`and t.completed` : sql``}
    ) as hits
    ${
      after
        ? sql`where rank < ${after.keys[0] ?? ""}::text::real
            or (rank = ${after.keys[0] ?? ""}::text::real and id > ${after.id}::uuid)`
        : sql``
    }
    order by rank desc, id
    limit ${limit + 1}`;
  const rows = await loadTaskPage(sql, user.id, page, sql`t.rank desc, t.id`);
  if (rows.length === 0) await refuseStopWordsOnly(ctx, text);
  const found = rows.slice(0, limit);
  const last = found.at(-1);
  return {
    items: found.map((row) => row.task),
    nextCursor: rows.length > limit && last ? encodeCursor(listing, last.cursorKeys, last.task.id) : null,
  };
}

/**
 * Only stop words ("the", "to do") leave nothing to match; say so rather than answer "no tasks". Such a
 * query matches no task, so this is asked only after an empty result, not on every search.
 */
async function refuseStopWordsOnly(ctx: DomainContext, text: string): Promise<void> {
  const [parsed] = await ctx.sql<{ nodes: number }[]>`
    select numnode(websearch_to_tsquery('english', ${text}))::int as nodes`;
  if (!parsed || parsed.nodes === 0) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `"${text.slice(0, 60)}" has only words too common to search for; use more specific ones.`,
    );
  }
}
