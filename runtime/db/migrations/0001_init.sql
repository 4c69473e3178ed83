-- taskbeat schema, version 1. Forward-only: never edit a migration that has shipped; add the next one.
-- Objects are created in the current schema (search_path), so tests can give each file its own.

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
  display_name text check (char_length(display_name) <= 100),
  time_zone text not null default 'UTC',
  -- Minutes before a task's due time for its default reminder; null = no default reminder.
  default_reminder_minutes integer default 60 check (default_reminder_minutes between 0 and 40320),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

-- Tokens are stored as SHA-256 digests; the token itself is shown once, when it is issued.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  token_hash bytea not null unique,
  label text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id);

create table categories (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 50),
  color text check (color ~ '^#[0-9A-Fa-f]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Lets tasks reference (id, user_id), so a task can never point at another user's category.
  unique (id, user_id)
);
create unique index categories_user_name_key on categories (user_id, lower(name));

create table tags (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 30),
  color text check (color ~ '^#[0-9A-Fa-f]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, user_id)
);
create unique index tags_user_name_key on tags (user_id, lower(name));

create table tasks (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  title text not null check (char_length(title) between 1 and 200),
  description text check (char_length(description) <= 5000),
  completed boolean not null default false,
  completed_at timestamptz,
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
  due_at timestamptz,
  category_id uuid,
  -- The normalised RRULE (e.g. "FREQ=WEEKLY;BYDAY=MO"), evaluated in time_zone.
  recurrence_rule text,
  time_zone text not null,
  -- Occurrences of one recurring task share a series id; (series_id, due_at) is unique so a
  -- redelivered completion cannot create the next occurrence twice.
  series_id uuid,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  search tsvector generated always as (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')
  ) stored,
  unique (id, user_id),
  check (completed = (completed_at is not null)),
  foreign key (category_id, user_id) references categories (id, user_id) on delete set null (category_id)
);
create index tasks_user_created_idx on tasks (user_id, created_at, id);
create index tasks_user_due_idx on tasks (user_id, due_at, id);
create index tasks_search_idx on tasks using gin (search);
create unique index tasks_series_due_key on tasks (series_id, due_at) where series_id is not null;

create table task_tags (
  task_id uuid not null,
  tag_id uuid not null,
  user_id uuid not null,
  primary key (task_id, tag_id),
  foreign key (task_id, user_id) references tasks (id, user_id) on delete cascade,
  foreign key (tag_id, user_id) references tags (id, user_id) on delete cascade
);
create index task_tags_tag_idx on task_tags (tag_id);

-- One row per scheduled reminder: pending → published (claimed by check-due-tasks, event in the
-- outbox) → sent (mail accepted) | failed (permanent SMTP failure); cancelled when the task is
-- completed or deleted, or its due date moves (a new row replaces it).
create table reminders (
  id uuid primary key default gen_random_uuid(),
  task_id uuid not null,
  user_id uuid not null,
  remind_at timestamptz not null,
  -- Set when the reminder follows the due date (the user's default or `minutes_before`), so a new
  -- due date reschedules it; null for a reminder at a fixed time.
  minutes_before integer check (minutes_before between 0 and 40320),
  state text not null default 'pending' check (state in ('pending', 'published', 'sent', 'cancelled', 'failed')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  foreign key (task_id, user_id) references tasks (id, user_id) on delete cascade
);
create index reminders_task_idx on reminders (task_id);
-- check-due-tasks reads only this: due pending reminders, oldest first, whatever the table's size.
create index reminders_due_idx on reminders (remind_at) where state = 'pending';

-- Transactional outbox: a write and its events commit together; the relay publishes and deletes.
create table outbox (
  seq bigint generated always as identity primary key,
  id uuid not null unique,
  pubsub text not null,
  topic text not null,
  partition_key text,
  event jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now()
);
create index outbox_ready_idx on outbox (next_attempt_at, seq);

-- Consumer inbox: an event id recorded here, in the same transaction as its effect, is never applied twice.
create table processed_events (
  consumer text not null,
  event_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
