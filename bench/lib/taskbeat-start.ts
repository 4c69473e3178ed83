/**
 * `node bin/taskbeat.mjs start` as a user runs it: every group, the local sidecar and the shipped job
 * schedules (jobs/), on free ports, against a database URL, mailing through an SMTP URL. Its log (JSON
 * lines, LOG_LEVEL info as shipped) goes to a file, so the benchmark can read what the app said without
 * the app waiting on a pipe.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { freePort, ROOT, stopChild, untilPrinted } from "./proc.js";

export interface TaskbeatStart {
  process: ChildProcess;
  /** The local sidecar's HTTP API. */
  daprUrl: string;
  /** Its `dapr-api-token`. */
  daprToken: string;
  /** Parsed JSON log lines written so far. */
  readLog(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startTaskbeat(options: {
  databaseUrl: string;
  smtpUrl: string;
  logFile: string;
  home: string;
}): Promise<TaskbeatStart> {
  const [port, daprPort] = [await freePort(), await freePort()];
  // The local sidecar requires a token (start makes one when unset); the bench reads its state store too.
  const daprToken = randomBytes(16).toString("hex");
  const logFd = openSync(options.logFile, "w");
  // TASKBEAT_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the app (written when it stops).
  const nodeArgs = (process.env.TASKBEAT_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "bin/taskbeat.mjs", "start"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", logFd],
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      DAPR_HTTP_PORT: String(daprPort),
      SMTP_URL: options.smtpUrl,
      MAIL_FROM: "taskbeat <reminders@bench.test>",
      TASKBEAT_HOME: options.home,
      DAPR_API_TOKEN: daprToken,
      LOG_LEVEL: "info",
    },
  });
  closeSync(logFd);
  const readLog = () =>
    readFileSync(options.logFile, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  try {
    await untilPrinted(child, "taskbeat is running", 60_000, `taskbeat start (log: ${options.logFile})`);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    process: child,
    daprUrl: `http://127.0.0.1:${daprPort}`,
    daprToken,
    readLog,
    stop: () => stopChild(child),
  };
}
