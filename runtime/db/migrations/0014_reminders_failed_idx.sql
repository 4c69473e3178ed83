-- taskbeat:no-transaction
-- taskbeat_reminders{state="failed"} is counted at every scrape (runtime/db-gauges.ts), and the runbook lists
-- failed reminders newest first; without this index both read every reminder ever sent. Built concurrently,
-- outside a transaction: reminders is among the largest tables, and a plain build blocks its writes.
create index concurrently if not exists reminders_failed_idx on reminders (updated_at) where state = 'failed';
