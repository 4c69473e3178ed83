/**
 * Test helpers for the email group (not a unit: files starting with `_` are not registered): a
 * user, a task and a reminder in the state check-due-tasks leaves it in (`published`), the event
 * it emits for it, and the context a handler gets.
 */
import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import type { Sql } from "postgres";
import { createSmtpMailer, type Mailer, setMailer } from "../../functions/_shared/mail/mailer.js";
import { REMINDER_DUE_TYPE, type ReminderDueData } from "../../functions/_shared/reminders/claim-event.js";
import { type CloudEvent, createCloudEvent } from "../../runtime/cloudevent.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { SubscriptionContext } from "../../runtime/define.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import { startTestSmtp, type TestSmtp } from "./smtp.js";

export interface SeededReminder {
  reminderId: string;
  taskId: string;
  userId: string;
  email: string;
  data: ReminderDueData;
}

export interface SeedOptions {
  timeZone?: string;
  displayName?: string | null;
  title?: string;
  description?: string | null;
  priority?: "low" | "medium" | "high" | "urgent";
  dueAt?: Date | null;
  state?: string;
}

export async function seedReminder(sql: Sql, options: SeedOptions = {}): Promise<SeededReminder> {
  const email = `mail-${randomUUID()}@example.com`;
  const timeZone = options.timeZone ?? "UTC";
  const dueAt = options.dueAt === undefined ? new Date(Date.now() + 3_600_000) : options.dueAt;
  const [user] = await sql<{ id: string }[]>`
    insert into users (email, display_name, time_zone)
    values (${email}, ${options.displayName === undefined ? "Ada" : options.displayName}, ${timeZone})
    returning id`;
  const userId = user?.id ?? "";
  const [task] = await sql<{ id: string }[]>`
    insert into tasks (user_id, title, description, priority, due_at, time_zone)
    values (${userId}, ${options.title ?? "Water the plants"}, ${options.description ?? null},
      ${options.priority ?? "medium"}, ${dueAt}, ${timeZone})
    returning id`;
  const taskId = task?.id ?? "";
  const remindAt = new Date((dueAt ?? new Date()).getTime() - 15 * 60_000);
  const [reminder] = await sql<{ id: string }[]>`
    insert into reminders (task_id, user_id, remind_at, state)
    values (${taskId}, ${userId}, ${remindAt}, ${options.state ?? "published"})
    returning id`;
  const reminderId = reminder?.id ?? "";
  return {
    reminderId,
    taskId,
    userId,
    email,
    data: {
      reminder_id: reminderId,
      task_id: taskId,
      user_id: userId,
      remind_at: remindAt.toISOString(),
      due_at: dueAt === null ? null : dueAt.toISOString(),
    },
  };
}

/** The event check-due-tasks publishes for the reminder (a fresh id unless given). */
export function reminderDueEvent(data: unknown, id?: string): CloudEvent {
  const subject = (data as { reminder_id?: unknown }).reminder_id;
  return createCloudEvent({
    type: REMINDER_DUE_TYPE,
    source: "taskbeat",
    ...(typeof subject === "string" ? { subject } : {}),
    ...(id === undefined ? {} : { id }),
    data,
  });
}

export function handlerContext(sql: Sql, event: CloudEvent): SubscriptionContext {
  const { data: _data, ...envelope } = event;
  return {
    sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    signal: new AbortController().signal,
    stopping: new AbortController().signal,
    onEventsCommitted: () => {},
    event: envelope,
  };
}

export interface ReminderState {
  state: string;
  /** Mail attempts (`send_attempts`); `attempts` counts announcements, see reclaim.ts. */
  sendAttempts: number;
  last_error: string | null;
  sent_at: Date | null;
}

export async function reminderState(sql: Sql, reminderId: string): Promise<ReminderState | undefined> {
  const [row] = await sql<ReminderState[]>`
    select state, send_attempts as "sendAttempts", last_error, sent_at from reminders where id = ${reminderId}`;
  return row;
}

export async function inboxHas(sql: Sql, eventId: string): Promise<boolean> {
  const [row] = await sql`
    select 1 from processed_events where consumer = 'email.reminder-due' and event_id = ${eventId}`;
  return row !== undefined;
}

export interface EmailGroupWithSmtp {
  /** The email group's generated router (no sidecar client: its handlers publish nothing). */
  app: Hono;
  smtp: TestSmtp;
  /** Set as the group's mailer; `close()` unsets and closes it and stops the SMTP server. */
  mailer: Mailer;
  close(): Promise<void>;
}

/** The email group as its pods run it, mailing through nodemailer to a real SMTP server of the test's own. */
export async function emailGroupWithSmtp(sql: Sql): Promise<EmailGroupWithSmtp> {
  const smtp = await startTestSmtp();
  const mailer = createSmtpMailer({
    url: smtp.url,
    from: "taskbeat <reminders@taskbeat.test>",
    timeoutMs: 2000,
  });
  setMailer(mailer);
  const app = createApp({
    registry,
    groups: ["email"],
    sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    metrics: new RuntimeMetrics(),
    lifecycle: new Lifecycle(),
  });
  return {
    app,
    smtp,
    mailer,
    async close() {
      setMailer(undefined);
      await mailer.close();
      await smtp.stop();
    },
  };
}
