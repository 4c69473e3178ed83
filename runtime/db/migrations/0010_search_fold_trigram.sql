-- search_tasks, forgiving: accents and punctuation no longer decide whether a word matches, and a typo
-- finds the task by trigram similarity when the words find nothing (functions/_shared/domain/tasks-search.ts).
--
-- tasks_fold: Unicode decomposition (NFD) with the combining marks removed ("Zoë" → "Zoe", "café" →
-- "cafe"), then punctuation as spaces ("dry-cleaning" → "dry cleaning", which the english parser would
-- otherwise index as the compound 'dry-clean'). Built-in functions only, so it is immutable for real and
-- can sit in a generated column and an index; the unaccent extension's function is only stable, and the
-- usual immutable wrapper around it would need its dictionary named by schema. Letters that do not
-- decompose (ø, ß, æ, ł) stay as they are.
create function tasks_fold(text) returns text
  language sql immutable parallel safe strict
  return regexp_replace(regexp_replace(normalize($1, NFD), '[\u0300-\u036f]', '', 'g'), '[[:punct:]]+', ' ', 'g');

-- The search column again, over folded text; dropping it drops tasks_owner_search_idx, rebuilt below.
-- This rewrites the table once (a generated column cannot change its expression in place).
alter table tasks drop column search;
alter table tasks add column search tsvector generated always as (
  setweight(to_tsvector('english', tasks_fold(title)), 'A') ||
  setweight(to_tsvector('english', tasks_fold(coalesce(description, ''))), 'B')
) stored;
create index tasks_owner_search_idx on tasks using gin (tasks_owner_search(search, user_id))
  with (fastupdate = off);

-- pg_trgm for the typo fallback. An extension belongs to the database, not to a schema's migrations, so it
-- goes to `public` once (the queries name it there); a concurrent migration of another schema that
-- created it first is not an error. Trusted since PostgreSQL 13: the database owner may create it.
do $$
begin
  create extension if not exists pg_trgm schema public;
exception when unique_violation or duplicate_object then null;
end $$;
