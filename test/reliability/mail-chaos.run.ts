/**
 * A chaos run, not a test (issue 15 §3): how many reminders are mailed twice when the app's PostgreSQL
 * sessions are killed every 150 ms while reminders are being mailed. A real `taskbeat start` with
 * DATABASE_URL (its own database, so only its sessions are killed), a real SMTP server counting
 * messages by Message-ID. Prints one line per trial.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx test/reliability/mail-chaos.run.ts [trials] [reminders] [--guard]
 *
 * Unpatched, postgres.js crashed on those kills (`TypeError … reading 'write'`, porsager/postgres #1154,
 * and an unhandled CONNECTION_CLOSED rejection); patches/postgres+3.4.10.patch fixes both. `--guard`
 * preloads into the app a handler that ignores exactly those errors (and counts them), for measuring an
 * unpatched driver; the numbers in docs/operations.md ("Delivery guarantees") say which runs used it.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import postgres from "postgres";
import { freePort } from "../support/ports.js";
import { startTestSmtp } from "../support/smtp.js";

const bin = fileURLToPath(new URL("../../bin/taskbeat.mjs", import.meta.url));
const trials = Number(process.argv[2] ?? 3);
const count = Number(process.argv[3] ?? 150);
const guard = process.argv.includes("--guard");
const base = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function trial(n: number) {
  const name = `taskbeat_chaos_${process.pid}_${n}`;
  const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const smtp = await startTestSmtp();
  const home = await mkdtemp(join(tmpdir(), "taskbeat-chaos-"));
  const preload = join(home, "guard.mjs");
  if (guard) {
    await writeFile(
      preload,
      `process.on("uncaughtException", (e) => { if ((e instanceof TypeError && /reading 'write'/.test(e.message)) || /^(CONNECTION_|57P01|ECONNRESET)/.test(String(e?.code))) { console.error("guarded:", e.code ?? e.message); return; } console.error(e); process.exit(1); });\n`,
    );
  }
  const child = spawn(process.execPath, [bin, "start"], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      TASKBEAT_HOME: home,
      PORT: String(await freePort()),
      DAPR_HTTP_PORT: String(await freePort()),
      SMTP_URL: smtp.url,
      MAIL_FROM: "taskbeat <r@taskbeat.test>",
      LOG_LEVEL: "error",
      ...(guard
        ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(preload).href}` }
        : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  let exited: number | null | undefined;
  child.on("exit", (code) => {
    exited = code;
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("  try ")) resolve();
    });
    child.on("exit", () => reject(new Error(`start exited:\n${stderr}`)));
  });
  const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const [user] = await db<
    { id: string }[]
  >`insert into users (email) values ('chaos@example.com') returning id`;
  const tasks = await db<{ id: string }[]>`
    insert into tasks (user_id, title, time_zone, due_at)
    select ${user?.id ?? ""}, 'Chaos ' || g, 'UTC', now() + interval '1 day' from generate_series(1, ${count}) g
    returning id`;
  await db`
    insert into reminders (task_id, user_id, remind_at)
    select id, ${user?.id ?? ""}, now() + interval '2 seconds' + (row_number() over ()) * interval '20 milliseconds'
    from unnest(${tasks.map((t) => t.id)}::uuid[]) as t (id)`;
  const reminderCount = count;
  let kills = 0;
  let killing = true;
  const killer = (async () => {
    while (killing) {
      const killed = await admin`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = ${name} and pid <> pg_backend_pid() and application_name = 'taskbeat'`;
      kills += killed.length;
      await sleep(150);
    }
  })();
  const started = Date.now();
  await sleep(20_000);
  killing = false;
  await killer;
  // Then let it finish: every reminder sent (or the process gone).
  let sent = 0;
  for (let i = 0; i < 120 && exited === undefined; i++) {
    [{ sent = 0 } = {}] = await db<
      { sent: number }[]
    >`select count(*)::int as sent from reminders where state = 'sent'`;
    if (sent === reminderCount) break;
    await sleep(500);
  }
  const ids = smtp.received.map((m) => /Message-ID: (<[^>]+>)/i.exec(m.raw)?.[1]);
  const unique = new Set(ids).size;
  const crashed = exited !== undefined;
  const crash = /TypeError[^\n]*/.exec(stderr)?.[0];
  const guarded = stderr.split("guarded:").length - 1;
  console.log(
    JSON.stringify({
      trial: n,
      guard,
      reminders: reminderCount,
      sessionsKilled: kills,
      seconds: Math.round((Date.now() - started) / 1000),
      sentInDb: sent,
      messages: ids.length,
      uniqueMessageIds: unique,
      duplicates: ids.length - unique,
      duplicateRate: ids.length === 0 ? 0 : (ids.length - unique) / unique,
      processCrashed: crashed,
      ...(guard ? { crashesGuarded: guarded } : {}),
      ...(crash ? { crash } : {}),
      ...(crashed ? { exitCode: exited, stderrTail: stderr.slice(-600) } : {}),
    }),
  );
  child.kill("SIGKILL");
  await db.end({ timeout: 1 });
  await sleep(300);
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end({ timeout: 1 });
  await smtp.stop();
  await rm(home, { recursive: true, force: true });
}

for (let n = 1; n <= trials; n++) await trial(n);
