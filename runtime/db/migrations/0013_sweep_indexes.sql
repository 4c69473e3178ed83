-- taskbeat:no-transaction
-- Indexes for the sweeps that read large tables, built concurrently, outside a transaction: a plain build
-- blocks the table's writes for as long as it takes.
-- taskbeat_reminders{state="failed"} is counted at every scrape (runtime/db-gauges.ts), and the runbook lists
-- failed reminders newest first; without this index both read every reminder ever sent.
create index concurrently if not exists reminders_failed_idx on reminders (updated_at) where state = 'failed';
-- repair-recurrences (functions/recurring/repair-recurrences.job.ts) looks for completed repeating tasks
-- whose next occurrence never came; those are few among all tasks.
create index concurrently if not exists tasks_completed_recurring_idx on tasks (completed_at)
  where completed_at is not null and recurrence_rule is not null;
