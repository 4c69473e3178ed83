/**
 * The backend group as it runs in production: `node bin/taskbeat.mjs serve --group backend`, its own
 * process, DATABASE_URL on the bench schema, a local sidecar standing in for daprd (serve waits for one
 * before `/readyz` says ready, and its outbox relay publishes there after every task write).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { type Child, freePort, ROOT, startServer, stopChild } from "./proc.js";

export interface Backend {
  /** `http://127.0.0.1:<port>`; the MCP endpoint is `${url}/mcp`. */
  url: string;
  pid: number;
  /** CPU time the process has used so far (user + system), in ms; NaN where /proc is missing. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackendOptions {
  /** Before the script, e.g. `--cpu-prof` (Node refuses that one in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Another checkout to run (A/B comparisons while profiling); default this one. */
  root?: string;
}

export async function startBackend(databaseUrl: string, options: BackendOptions = {}): Promise<Backend> {
  const sidecarPort = await freePort();
  const port = await freePort();
  // Both start at once: serve takes longer (tsx, the migration check) and waits for the sidecar anyway.
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "bin/taskbeat.mjs", "serve", "--group", "backend"],
    {
      cwd: options.root ?? ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DAPR_HTTP_PORT: String(sidecarPort),
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
      },
    },
  );
  const sidecar: Promise<Child | undefined> = startServer("sidecar", sidecarPort);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await (await sidecar.catch(() => undefined))?.stop();
  };
  try {
    await sidecar;
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${stderr}`);
      if (performance.now() - started > 30_000) throw new Error(`serve not ready in 30 s: ${stderr}`);
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      await sleep(20);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid ?? 0, cpuMs: () => cpuMsOf(child.pid), stop };
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
