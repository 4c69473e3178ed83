-- Where a repeating task's rule starts counting (its RRULE DTSTART): INTERVAL, COUNT and the time of day
-- are counted from the series' first due date. Set on the occurrences the recurring function creates,
-- carried from one to the next, so it survives the first task being deleted; null on the first task of a
-- series, whose own due_at is the start.
alter table tasks add column series_start_at timestamptz;
