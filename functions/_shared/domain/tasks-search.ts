/**
 * search_tasks: Postgres full-text search over the weighted `search` column (title A, description B),
 * so a word in the title outranks the same word in a description. `websearch_to_tsquery` reads what
 * people type ("dentist appointment", "\"tax return\"", "report -draft") and never fails to parse.
 * Pages are keyset on (rank, id), the order of the results.
 *
 * Accents and punctuation do not decide a match: the column indexes folded text (tasks_fold, migration
 * 0009) and the query is folded the same way here, keeping its own syntax (quotes, a leading "-"). The
 * rank counts only the words sought: ts_rank of a query with a negation ("call -mom") is ~0 for every
 * task, which put description matches level with title ones. When the words find nothing, a typo
 * ("dentst") still finds "dentist" by trigram similarity (pg_trgm) over the user's own tasks.
 *
 * The owner condition is stated twice: plainly (`user_id`, `search @@`), which is what the result means,
 * and in the form of tasks_owner_search_idx (migration 0007), which finds only this user's matches in
 * one index scan rather than intersecting everyone's matches with all of the user's tasks.
 */
import type { CallNotes } from "./call-notes.js";
import type { DomainContext } from "./context.js";
import { clip } from "./dates.js";
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

/** A trigram match below this (pg_trgm's word_similarity, 0–1) is not offered as a likely typo. */
export const MIN_SIMILARITY = 0.5;

/** Accents off (as tasks_fold does) and punctuation inside a word as a space ("dry-cleaning"). */
export function foldQuery(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/(?<=[\p{L}\p{N}])[^\p{L}\p{N}\s"]+(?=[\p{L}\p{N}])/gu, " ");
}

/** The words sought, without the excluded ones ("-mom", -"old phrase"): what the rank counts. */
export const soughtWords = (folded: string) => folded.replace(/(^|\s)-("[^"]*"?|\S*)/g, " ").trim();

export async function searchTasks(
  ctx: DomainContext,
  search: SearchQuery,
  notes?: CallNotes,
): Promise<Page<Task>> {
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
  const folded = foldQuery(text);
  const page = sql`
    select *, array[rank::text] as cursor_keys from (
      select t.*, ts_rank(t.search, sought) as rank
      from tasks t, websearch_to_tsquery('english', ${folded}) as query,
        websearch_to_tsquery('english', ${soughtWords(folded)}) as sought
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
  if (rows.length === 0 && !after) {
    await refuseStopWordsOnly(ctx, folded, text);
    return similarlySpelt(ctx, soughtWords(folded), status, limit, notes);
  }
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
async function refuseStopWordsOnly(ctx: DomainContext, folded: string, text: string): Promise<void> {
  const [parsed] = await ctx.sql<{ nodes: number }[]>`
    select numnode(websearch_to_tsquery('english', ${folded}))::int as nodes`;
  if (!parsed || parsed.nodes === 0) {
    throw new DomainError(
      "VALIDATION_ERROR",
      `"${text.slice(0, 60)}" has only words too common to search for; use more specific ones.`,
    );
  }
}

/**
 * The typo fallback: the user's tasks whose title (or, a little lower, description) has a word spelt
 * like the words sought, most similar first; one page, no cursor (a guess, not a listing). It only runs
 * when the words matched nothing. The trigram index over the folded title and description
 * (tasks_fold_trgm_idx, migration 0015) finds the candidates (`<%`: a word at least MIN_SIMILARITY alike,
 * pg_trgm's threshold, which is a setting, so the transaction sets it); only those are scored.
 */
async function similarlySpelt(
  ctx: DomainContext,
  sought: string,
  status: NonNullable<SearchQuery["status"]>,
  limit: number,
  notes: CallNotes | undefined,
): Promise<Page<Task>> {
  const { sql, user } = ctx;
  const words = sought.replace(/"/g, " ").trim();
  if (words === "") return { items: [], nextCursor: null };
  const rows = await sql.begin(async (tx) => {
    await tx`select set_config('pg_trgm.word_similarity_threshold', ${String(MIN_SIMILARITY)}, true)`;
    const page = tx`
      select *, array[rank::text] as cursor_keys from (
        select t.*, greatest(
            public.word_similarity(tasks_fold(${words}), tasks_fold(t.title)),
            0.9 * public.word_similarity(tasks_fold(${words}), tasks_fold(coalesce(t.description, '')))
          ) as rank
        from tasks t
        where t.user_id = ${user.id}
          and tasks_fold(${words}) operator(public.<%) tasks_fold(t.title || ' ' || coalesce(t.description, ''))
          ${status === "pending" ? tx`and not t.completed` : tx``}
          ${status === "completed" ? tx`and t.completed` : tx``}
      ) as scored
      where rank >= ${MIN_SIMILARITY}
      order by rank desc, id
      limit ${limit}`;
    return loadTaskPage(tx, user.id, page, tx`t.rank desc, t.id`);
  });
  if (rows.length > 0) {
    notes?.warn(`No task has the words "${clip(words)}"; these have words spelt like them.`);
  }
  return { items: rows.map((row) => row.task), nextCursor: null };
}
