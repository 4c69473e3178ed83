/**
 * `node bin/taskbeat.mjs serve --group <group>` as the container runs it, in its own process, talking to a
 * local sidecar on `sidecarPort`; `untilReady` polls `/readyz` until it answers 200.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "./proc.js";

export interface ServeOptions {
  group: string;
  databaseUrl: string;
  sidecarPort: number;
  port: number;
  /** Before the script, e.g. `--cpu-prof` (Node refuses that one in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Another checkout to run (A/B comparisons while profiling); default this one. */
  root?: string;
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Resolves once `/readyz` is 200; rejects if the process exits first or is not ready in 30 s. */
  untilReady(pollMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function spawnServe(options: ServeOptions): ServeProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "bin/taskbeat.mjs", "serve", "--group", options.group],
    {
      cwd: options.root ?? ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        DAPR_HTTP_PORT: String(options.sidecarPort),
        PORT: String(options.port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
      },
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const url = `http://127.0.0.1:${options.port}`;
  const untilReady = async (pollMs: number) => {
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${stderr}`);
      if (performance.now() - started > 30_000) throw new Error(`serve not ready in 30 s: ${stderr}`);
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return;
      await sleep(pollMs);
    }
  };
  return { child, url, untilReady };
}
