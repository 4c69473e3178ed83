/**
 * search_tasks: Postgres full-text search over the weighted `search` column (title A, description B),
 * so a word in the title outranks the same word in a description. `websearch_to_tsquery` reads what
 * people type ("dentist appointment", "\"tax return\"", "report -draft") and never fails to parse.
 * Pages are keyset on (rank, id), the order of the results.
 */
import type { DomainContext } from "./context.js";
import { DomainError } from "./errors.js";
import { checkLimit, decodeCursor, encodeCursor, type Page } from "./pages.js";
import { loadTasks, type Task } from "./task-view.js";

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
  // Only stop words ("the", "to do") leave nothing to match; say so rather than answer "no tasks".
  const [parsed] = await sql<{ nodes: number }[]>`
    select numnode(websearch_to_tsquery('english', ${text}))::int as nodes`;
  if (!parsed || parsed.nodes === 0) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `"${text.slice(0, 60)}" has only words too common to search for; use more specific ones.`,
    );
  }
  const rows = await sql<{ id: string; rank: string }[]>`
    select id, rank::text as rank from (
      select t.id, ts_rank(t.search, query) as rank
      from tasks t, websearch_to_tsquery('english', ${text}) as query
      where t.user_id = ${user.id} and t.search @@ query
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
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: await loadTasks(
      sql,
      user.id,
      page.map((row) => row.id),
    ),
    nextCursor: rows.length > limit && last ? encodeCursor(listing, [last.rank], last.id) : null,
  };
}
