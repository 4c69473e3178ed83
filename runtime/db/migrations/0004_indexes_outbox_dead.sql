-- taskbeat:no-transaction
-- (Marker added later: on a database that has not reached this version yet, the indexes are built
-- concurrently; a database past it is unaffected. Each statement is idempotent, see runtime/db/migrate.ts.)
-- list_reminders without a task: one user's pending reminders, soonest first, paged on (remind_at, id).
-- Without this index it reads every pending reminder of every user (reminders_due_idx) and filters.
create index concurrently if not exists reminders_user_pending_idx on reminders (user_id, remind_at, id) where state = 'pending';
-- list_tasks' category filter, and deleting a category, whose foreign key sets category_id to null on
-- its tasks: both look tasks up by (user_id, category_id), which otherwise means a scan of the user's tasks.
create index concurrently if not exists tasks_user_category_idx on tasks (user_id, category_id);

-- Outbox rows the relay gave up on (runtime/outbox/relay.ts): the sidecar refused them for too many
-- attempts. Moving them out lets the task's later events flow again; they are kept, as they were, to be
-- inspected and, once the cause is fixed, put back (a new seq, the same id):
--   with d as (delete from outbox_dead where id = '…' returning *)
--   insert into outbox (id, pubsub, topic, partition_key, event) select id, pubsub, topic, partition_key, event from d;
create table if not exists outbox_dead (
  seq bigint primary key,
  id uuid not null,
  pubsub text not null,
  topic text not null,
  partition_key text,
  event jsonb not null,
  created_at timestamptz not null,
  attempts integer not null,
  last_error text,
  next_attempt_at timestamptz not null,
  dead_at timestamptz not null default now()
);
