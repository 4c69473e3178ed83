-- taskbeat:no-transaction
-- check-due-tasks' sweep of stuck reminders (runtime/reminders/reclaim.ts): `published` rows whose mail never
-- went out (their event was dead-lettered after the consumer's retries ran out) are re-announced once they
-- have not moved for a while. Published rows are few (in flight only), so the sweep reads this, oldest first,
-- never the sent history.
create index concurrently if not exists reminders_published_idx on reminders (updated_at) where state = 'published';
