-- Why a reminder was cancelled, so that a new due date or reopening the task brings back only what was not
-- the person's choice: 'user' (cancel_reminder) stays cancelled; 'completed' (the task was completed),
-- 'moved' (its due date moved and a new row replaced it, or its time had passed) and 'due_cleared' (the due
-- date was removed) are undone when the task is reopened or gets a due date again. Null on rows cancelled
-- before this column, and by check-due-tasks or the mailer finding the task completed.
alter table reminders add column cancel_reason text
  check (cancel_reason in ('user', 'completed', 'moved', 'due_cleared'));
