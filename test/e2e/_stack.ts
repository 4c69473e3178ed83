/**
 * The whole of taskbeat in one test process, as `taskbeat start` runs it: one app built with createApp
 * for every group from the generated registry, real HTTP, real PostgreSQL, a real SMTP server (the
 * process mailer from configureMailer, as serveGroups builds it), one local sidecar in front, and a
 * Relay on `onEventsCommitted`. The sidecar's scheduler fires check-due-tasks and the relay-outbox
 * backstop from jobs registered through the Jobs API every second (the shipped specs say 5 s and 10 s).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";
import { closeMailer, configureMailer } from "../../functions/_shared/mail/mailer.js";
import { DaprClient } from "../../runtime/dapr/client.js";
import { type LocalSidecar, startSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { type Logger, silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import { Relay } from "../../runtime/outbox/relay-runner.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import type { TestDb } from "../support/db.js";
import { type Served, serveApp } from "../support/http.js";
import { freePort } from "../support/ports.js";
import { parseMail, startTestSmtp, type TestSmtp } from "../support/smtp.js";

export const GROUPS = ["backend", "notification", "email", "recurring"];

export interface Stack {
  sidecar: LocalSidecar;
  smtp: TestSmtp;
  relay: Relay;
  served: Served;
  metrics: RuntimeMetrics;
  /** The app's own client of the sidecar. */
  dapr: DaprClient;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The sidecar's delivery retries; default 10 attempts, 100 ms doubling to 400 ms (about 3 s). */
  retry?: { maxAttempts: number; initialIntervalMs: number; maxIntervalMs: number };
  /** The app's logger (the sidecar's stays silent); default silent. */
  log?: Logger;
}

export async function startStack(db: TestDb, options: StackOptions = {}): Promise<Stack> {
  const smtp = await startTestSmtp();
  configureMailer(
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: "taskbeat <reminders@taskbeat.test>",
      SMTP_TIMEOUT_MS: 2_000,
      TASKBEAT_HOME: join(tmpdir(), "taskbeat-e2e"),
    },
    silentLogger,
  );
  // The sidecar's port first: the app's client needs it, and the sidecar needs the app's URL.
  const port = await freePort();
  const dapr = new DaprClient({ baseUrl: `http://127.0.0.1:${port}`, log: silentLogger, timeoutMs: 2_000 });
  // Short backoffs, so a refused publish is retried within a test's deadline.
  const relay = new Relay(db.sql, dapr, { retryInitialMs: 100, retryMaxMs: 500 });
  const metrics = new RuntimeMetrics();
  const app = createApp({
    registry,
    groups: GROUPS,
    sql: db.sql,
    dapr,
    log: options.log ?? silentLogger,
    metrics,
    lifecycle: new Lifecycle(),
    onEventsCommitted: () => relay.kick(),
  });
  const served = await serveApp(app);
  const sidecar = await startSidecar({
    port,
    appUrl: served.url,
    log: silentLogger,
    retry: options.retry ?? { maxAttempts: 10, initialIntervalMs: 100, maxIntervalMs: 400 },
  });
  await sidecar.ready();
  for (const job of ["check-due-tasks", "relay-outbox"]) {
    await dapr.jobs.schedule(job, { schedule: "@every 1s", dueTime: "0s", failurePolicy: { drop: {} } });
  }
  return {
    sidecar,
    smtp,
    relay,
    served,
    metrics,
    dapr,
    async close() {
      await sidecar.close();
      await relay.close();
      await served.close();
      await closeMailer();
      await smtp.stop();
    },
  };
}

export interface Assistant {
  userId: string;
  email: string;
  call<T>(name: string, args: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

let users = 0;

/** A new user with a token, and an MCP SDK client speaking to `/mcp` with it. */
export async function connectAssistant(db: TestDb, stack: Stack): Promise<Assistant> {
  const email = `e2e${++users}.${process.pid}@example.com`;
  const user = await createUser(db.sql, { email, timeZone: "UTC" });
  const token = await issueToken(db.sql, user.id);
  const client = new Client({ name: "e2e-assistant", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${stack.served.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return {
    userId: user.id,
    email,
    async call<T>(name: string, args: Record<string, unknown>) {
      const result = (await client.callTool({ name, arguments: args })) as {
        structuredContent?: unknown;
        isError?: boolean;
        content?: unknown;
      };
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return result.structuredContent as T;
    },
    close: () => client.close(),
  };
}

/** Message-IDs of the mails the SMTP server accepted, with how often each came. */
export function mailsById(smtp: TestSmtp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const mail of smtp.received) {
    const id = parseMail(mail.raw).headers["message-id"] ?? "";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * ISO 8601 with whole seconds, at least `ms` from now: rounded up, since rounding down could put a reminder
 * 1 s ahead into the past by the time set_reminder runs.
 */
export const inMs = (ms: number) =>
  new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Dead-lettered event ids on `<topic>-dlq`. */
export const deadLettered = (sidecar: LocalSidecar, topic: string) =>
  sidecar.published.filter((m) => m.topic === `${topic}-dlq`).map((m) => JSON.parse(m.body).id as string);

/** Waits until nothing is in the outbox, in the relay or in the sidecar. */
export async function settle(db: TestDb, stack: Stack, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await stack.relay.idle();
    await stack.sidecar.idle(Math.max(1, deadline - Date.now()));
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbox`;
    if (row?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`outbox still holds ${row?.n} rows`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
