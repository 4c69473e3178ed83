/**
 * Local mode with real processes (issue 11 §2): `taskbeat mcp` started by an assistant from a directory
 * of its own finds the data of the project's `users create`; with only that stdio server running,
 * reminders are mailed (real SMTP server) and a completed recurring task gets its next occurrence;
 * `taskbeat start` is not refused while it runs, and whichever process serves the database does the
 * background work, the other taking over when it stops — in both orders.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import type { Spawned } from "../support/process.js";
import { startTestSmtp, type TestSmtp } from "../support/smtp.js";
import {
  call,
  holderOf,
  removeTempDirs,
  run,
  startProcess,
  stdioClient,
  tempDir,
  tokenOf,
} from "./_local.js";

let smtp: TestSmtp | undefined;
afterAll(async () => {
  await smtp?.stop();
  await removeTempDirs();
});

interface Task {
  id: string;
  title: string;
  completed: boolean;
}

/** A reminder a few seconds ahead, and the wait for its mail (check-due-tasks runs every 5 s). */
async function expectReminderMailed(client: Client, server: TestSmtp, title: string): Promise<void> {
  const { task } = await call<{ task: Task }>(client, "add_task", {
    title,
    due_date: new Date(Date.now() + 86_400_000).toISOString(),
  });
  await call(client, "set_reminder", {
    task_id: task.id,
    remind_at: new Date(Date.now() + 5_000).toISOString(),
  });
  await expect
    .poll(() => server.received.some((mail) => mail.raw.includes(title)), { timeout: 30_000, interval: 250 })
    .toBe(true);
}

describe("local mode: one database, one process doing the background work", () => {
  it("mcp alone mails reminders and recurs; start waits beside it and takes over; mcp takes over from start", async () => {
    smtp = await startTestSmtp();
    const xdg = await tempDir("taskbeat-xdg-");
    const elsewhere = await tempDir("taskbeat-client-cwd-");
    const home = join(xdg, "taskbeat");
    const env = {
      // No TASKBEAT_HOME: the per-user default, the same from every directory.
      TASKBEAT_HOME: "",
      XDG_DATA_HOME: xdg,
      PORT: String(await freePort()),
      DAPR_HTTP_PORT: String(await freePort()),
      SMTP_URL: smtp.url,
      MAIL_FROM: "taskbeat <reminders@example.com>",
      LOCAL_TAKEOVER_MS: "200",
      LOG_LEVEL: "warn",
    };
    // "The project": any directory but the client's (not this repository, whose own .taskbeat would be moved).
    const project = await tempDir("taskbeat-project-");
    const created = await run(["users", "create", "--email", "me@example.com"], env, project);
    expect(created.stderr).toMatch(/Created user me@example.com/);
    const token = tokenOf(created.stdout);

    // 1. Only the assistant's stdio server, started from another directory.
    const first = await stdioClient({ ...env, TASKBEAT_TOKEN: token }, elsewhere);
    let start: Spawned | undefined;
    let second: Awaited<ReturnType<typeof stdioClient>> | undefined;
    try {
      await expect.poll(async () => (await holderOf(home))?.role, { timeout: 10_000 }).toBe("mcp");
      await expectReminderMailed(first.client, smtp, "Water the plants");

      const { task: series } = await call<{ task: Task }>(first.client, "add_task", {
        title: "Stand-up",
        due_date: new Date(Date.now() + 3_600_000).toISOString(),
        recurrence_rule: "every day",
      });
      await call(first.client, "complete_task", { task_id: series.id });
      const openStandUps = async () =>
        (await call<{ tasks: Task[] }>(first.client, "list_tasks", {})).tasks.filter(
          (task) => task.title === "Stand-up" && task.id !== series.id && !task.completed,
        ).length;
      await expect.poll(openStandUps, { timeout: 20_000, interval: 250 }).toBe(1);

      // 2. `start` beside it: not refused; it waits, the stdio process keeps the background work.
      start = startProcess(env, project);
      await start.waitFor(/^taskbeat is already running in process \d+ \("taskbeat mcp"\)/, 30_000);
      expect((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status).toBe(200);
      expect((await holderOf(home))?.pid).toBe(first.transport.pid);

      // 3. The assistant quits: `start` takes over the database and the background work.
      await first.client.close();
      await start.waitFor(/^taskbeat is running/, 30_000);
      await expect.poll(async () => (await holderOf(home))?.role, { timeout: 10_000 }).toBe("start");
      expect((await holderOf(home))?.pid).toBe(start.child.pid);

      // 4. A stdio session while `start` runs: it uses start's database and background work.
      second = await stdioClient({ ...env, TASKBEAT_TOKEN: token }, elsewhere);
      const titles = (await call<{ tasks: Task[] }>(second.client, "list_tasks", {})).tasks.map(
        (t) => t.title,
      );
      expect(titles).toContain("Water the plants");
      await expectReminderMailed(second.client, smtp, "Renew the passport");
      expect((await holderOf(home))?.role).toBe("start");

      // 5. `start` stops: the stdio session takes over and reminders still go out.
      start.child.kill("SIGTERM");
      expect((await start.exited).code).toBe(0);
      await expect.poll(async () => (await holderOf(home))?.role, { timeout: 15_000 }).toBe("mcp");
      expect((await holderOf(home))?.pid).toBe(second.transport.pid);
      await expect
        .poll(
          async () => (await fetch(`http://127.0.0.1:${env.PORT}/healthz`).catch(() => undefined))?.status,
          {
            timeout: 30_000,
            interval: 250,
          },
        )
        .toBe(200);
      await expectReminderMailed(second.client, smtp, "Book the dentist");
    } finally {
      await first.client.close().catch(() => {});
      await second?.client.close().catch(() => {});
      start?.child.kill("SIGKILL");
    }
  }, 240_000);

  it("an error about the database names the one it opened", async () => {
    const home = await tempDir("taskbeat-home-");
    const wrong = await run(["mcp"], {
      TASKBEAT_HOME: home,
      TASKBEAT_TOKEN: `tb_${"x".repeat(43)}`,
      PORT: String(await freePort()),
      DAPR_HTTP_PORT: String(await freePort()),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/unknown or revoked/);
    expect(wrong.stderr).toContain(`(database: the embedded database in ${join(home, "pgdata")})`);
  }, 120_000);
});
