/**
 * Fault injection against a real `taskbeat` process: the command as a pod runs it (bin/taskbeat.mjs,
 * JSON log lines on stderr), MCP tool calls over real HTTP, and a killer that terminates that one
 * process's PostgreSQL sessions, found by the `application_name` the test gave it in DATABASE_URL,
 * so the test runner's own connections and other test files' are never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Sql } from "postgres";
import { postToolCall } from "./http.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = `${root}bin/taskbeat.mjs`;

export interface TaskbeatProcess {
  child: ChildProcess;
  /** Every log line as written (stderr; and stdout under `serve`, which logs there). */
  stderrLines: string[];
  stdout(): string;
  /** Resolves with the first parsed stderr log line whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Whether the process is still running. */
  alive(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `taskbeat <args>` from the project root, with no DATABASE_URL but the one given. */
export function spawnTaskbeat(args: string[], env: Record<string, string>): TaskbeatProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderrLines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    stderrLines.push(line);
    for (const listener of listeners) listener(line);
  });
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  // `serve` logs to stdout (a container's log stream), every other command to stderr: both are the log.
  if (args[0] === "serve") {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      stderrLines.push(line);
      for (const listener of listeners) listener(line);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const logMsg = (line: string) => {
    try {
      return (JSON.parse(line) as { msg?: unknown }).msg;
    } catch {
      return undefined;
    }
  };
  return {
    child,
    stderrLines,
    stdout: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitForLog(msg, timeoutMs = 20_000) {
      const found = stderrLines.find((line) => logMsg(line) === msg);
      if (found) return Promise.resolve(JSON.parse(found));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no log line "${msg}" within ${timeoutMs} ms:\n${stderrLines.join("\n")}`));
        }, timeoutMs);
        const listener = (line: string) => {
          if (logMsg(line) !== msg) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(JSON.parse(line));
        };
        listeners.add(listener);
        void exited.then(() => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`taskbeat exited before logging "${msg}":\n${stderrLines.join("\n")}`));
        });
      });
    },
  };
}

/** Runs a short `taskbeat` command to its end; for `users create`, whose token is the last stdout line. */
export async function runTaskbeat(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnTaskbeat(args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderrLines.join("\n") };
}

/** What one MCP tool call came back as. */
export type CallOutcome =
  | { kind: "ok"; structured: Record<string, unknown> }
  /** A tool result with isError, and the code taskbeat put in `_meta`. */
  | { kind: "tool-error"; code: string }
  /** A JSON-RPC error object (the HTTP status alongside). */
  | { kind: "rpc-error"; status: number; code: number }
  /** Anything else: a non-JSON body, or an HTTP error without a JSON-RPC error in it. */
  | { kind: "http-error"; status: number; body: string; traceId: string }
  /** No answer at all: refused, reset, or timed out. */
  | { kind: "no-answer"; error: string; traceId: string };

/** One `tools/call` over Streamable HTTP (stateless, JSON responses), as an assistant sends it. */
export async function callTool(
  url: string,
  token: string,
  name: string,
  args: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<CallOutcome> {
  // A trace of its own, so a call that goes wrong can be found in taskbeat's log (its trace_id).
  const traceId = randomBytes(16).toString("hex");
  const traceparent = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
  let response: Response;
  let body: string;
  try {
    response = await postToolCall(
      url.replace(/\/mcp$/, ""),
      token,
      name,
      args,
      AbortSignal.timeout(timeoutMs),
      { traceparent },
    );
    body = await response.text();
  } catch (error) {
    return { kind: "no-answer", error: String((error as Error).cause ?? error), traceId };
  }
  let parsed: {
    result?: {
      isError?: boolean;
      structuredContent?: Record<string, unknown>;
      _meta?: Record<string, unknown>;
    };
    error?: { code: number };
  };
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: "http-error", status: response.status, body: body.slice(0, 200), traceId };
  }
  if (parsed.error && typeof parsed.error.code === "number")
    return { kind: "rpc-error", status: response.status, code: parsed.error.code };
  if (response.status !== 200 || !parsed.result)
    return { kind: "http-error", status: response.status, body: body.slice(0, 200), traceId };
  if (parsed.result.isError) {
    const meta = parsed.result._meta?.["taskbeat/error"] as { code?: string } | undefined;
    return { kind: "tool-error", code: meta?.code ?? "?" };
  }
  return { kind: "ok", structured: parsed.result.structuredContent ?? {} };
}

/**
 * Terminates every session whose application_name is `applicationName`, every `everyMs`, until
 * stopped; `stop` resolves with how many sessions it terminated.
 */
export function startSessionKiller(admin: Sql, applicationName: string, everyMs: number) {
  let killed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await admin<{ killed: boolean }[]>`
        select pg_terminate_backend(pid) as killed from pg_stat_activity
        where application_name = ${applicationName} and pid <> pg_backend_pid()`;
      killed += rows.filter((row) => row.killed).length;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return killed;
    },
  };
}
