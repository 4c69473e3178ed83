-- Messages Dapr gave up on and moved to a dead-letter topic (task-reminders-dlq, task-recurrence-dlq), kept
-- where an operator can see them: `taskbeat dead-letters list | show | replay | discard` (docs/operations.md).
-- One row per (dead-letter topic, event id): a redelivered DLQ message changes nothing; replay and discard
-- delete the row, so the same event dead-lettered again after a replay is a new row.
create table dead_letters (
  source text not null,
  event_id text not null,
  -- The topic a replay publishes to: the one the event was first published on.
  topic text not null,
  pubsub text not null,
  event jsonb not null,
  dead_at timestamptz not null default now(),
  primary key (source, event_id)
);
