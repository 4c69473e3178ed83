-- taskbeat:no-transaction
-- search_tasks finds one user's tasks among everyone's. With only the words indexed (tasks_search_idx),
-- Postgres ANDed two bitmaps: every task of the user and every task of any user with the word. Both are
-- large and scattered (a user's tasks are spread over the table's pages), and building them is the cost:
-- ~15 ms a search at 1M tasks, for a user with 10k tasks and a word in 1 % of them, however few the hits.
-- This index holds each task's words plus one lexeme naming its owner, '@<user id>' (the english parser
-- never yields a lexeme starting with '@'), so one GIN scan intersects the owner's and the word's posting
-- lists and visits only that user's matches. search_tasks states it next to its plain conditions:
--   tasks_owner_search(t.search, t.user_id) @@ (query && tasks_owner_query(<user id>))
-- btree_gin's (user_id, search) would do the same as an extension, which is database-wide (taskbeat
-- migrates schema by schema) and not loaded in the embedded PGlite.
create or replace function tasks_owner_search(search tsvector, user_id uuid) returns tsvector
  language sql immutable parallel safe
  return search || array_to_tsvector(array['@' || user_id::text]);

create or replace function tasks_owner_query(user_id uuid) returns tsquery
  language sql immutable parallel safe
  return quote_literal('@' || user_id::text)::tsquery;

-- fastupdate off: with GIN's pending list, every search also reads each task written since the list was
-- last merged (up to 4 MB of them, ~15 ms after a few thousand writes); a write pays a little more instead.
create index concurrently if not exists tasks_owner_search_idx on tasks using gin (tasks_owner_search(search, user_id))
  with (fastupdate = off);

-- Nothing else searches words across users; one GIN index to maintain per task write, not two.
drop index concurrently if exists tasks_search_idx;
