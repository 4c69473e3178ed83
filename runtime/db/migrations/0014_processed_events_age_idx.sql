-- taskbeat:no-transaction
-- The inbox's retention job (prune-processed-events) deletes rows older than the redelivery horizon, oldest
-- first, in batches; without an index on the age each batch reads the whole inbox, the largest table there is.
create index concurrently if not exists processed_events_processed_at_idx on processed_events (processed_at);
