-- taskbeat:no-transaction
-- The typo fallback of search_tasks (functions/_shared/domain/tasks-search.ts) scored every task of the user
-- with word_similarity over folded title and description: 131 ms p50 for a user with 10k tasks (bench/mcp.ts,
-- 1M tasks). A trigram index over the folded text of both lets it read only the tasks with a similarly spelt
-- word (`<%`), intersected with the user's through the user_id index: ~11 ms on the same data. Built
-- concurrently, outside a transaction: a plain build blocks the table's writes for as long as it takes.
-- fastupdate off, as for tasks_owner_search_idx: with GIN's pending list, every search also scans the
-- entries added since the last flush, and typo searches among add_task calls took up to 313 ms (p99, 4
-- clients); without it each insert updates the index at once.
create index concurrently if not exists tasks_fold_trgm_idx on tasks
  using gin (tasks_fold(title || ' ' || coalesce(description, '')) public.gin_trgm_ops)
  with (fastupdate = off);
