-- add_task's request_id: an idempotency key chosen by the caller, so a retried call (a timeout, a client
-- that resends) returns the task the first call created instead of a second one. Unique per user; the
-- partial index holds only keyed tasks, so tasks created without one cost nothing in it.
alter table tasks add column request_id text check (char_length(request_id) between 1 and 200);

create unique index tasks_request_idx on tasks (user_id, request_id) where request_id is not null;
