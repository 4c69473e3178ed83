-- Claims and mail attempts counted apart (issue 15 §3): `attempts` counts how often the reminder was
-- announced (the claim, and each re-announcement by the sweep of stuck reminders); `send_attempts` counts
-- how often the email handler tried to mail it. A temporary SMTP failure is retried, with a growing wait
-- between announcements, until the retry horizon after `remind_at` (functions/_shared/reminders/reclaim.ts);
-- only a permanent refusal or the horizon makes it `failed`. Rows from before keep their mixed count in
-- `attempts`, which now only sets how long the sweep waits before announcing them again.
alter table reminders add column send_attempts integer not null default 0;
