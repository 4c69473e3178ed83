/** Child processes for the bench: servers under load, the load generator, free ports and RSS. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident set size of a process, in MB (Linux /proc; NaN elsewhere). */
export function rssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU a process has used so far, in ms (Linux /proc; NaN elsewhere). */
export function cpuMs(pid: number | undefined): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in
    // clock ticks (USER_HZ, 100 on every Linux this runs on).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export interface Child {
  process: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `bench/server.ts <kind> <port> [extra]` and resolves once it prints READY. */
export async function startServer(kind: string, port: number, extra: string[] = []): Promise<Child> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/server.ts", kind, String(port), ...extra],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await untilPrinted(child, "READY", 30_000, `${kind} server`);
  return { process: child, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

/**
 * Resolves once the child prints `marker` on stdout; rejects if it exits first or `timeoutMs` passes.
 * Its stdout keeps flowing afterwards, so a full pipe never blocks it.
 */
export async function untilPrinted(
  child: ChildProcess,
  marker: string,
  timeoutMs: number,
  what: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready`));
    });
  });
  child.stdout?.resume();
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** Load from a separate process: autocannon's CLI, POSTing `body` to `url`; `--json` result parsed. */
export async function autocannon(
  url: string,
  body: string,
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const bin = fileURLToPath(new URL("../../node_modules/autocannon/autocannon.js", import.meta.url));
  const args = [bin, "--json", "-c", String(options.connections), "-d", String(options.seconds)];
  args.push("-m", "POST", "-H", "content-type=application/cloudevents+json", "-b", body, url);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err.slice(-500)}`);
  const json = JSON.parse(out) as {
    requests: { average: number; total: number };
    errors: number;
    non2xx: number;
  };
  return {
    rps: json.requests.average,
    requests: json.requests.total,
    errors: json.errors,
    non2xx: json.non2xx,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
