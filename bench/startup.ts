/**
 * Start-up and memory of one group: `node bin/taskbeat.mjs serve --group email` spawned with a local
 * sidecar already up and DATABASE_URL set (schema already migrated), timed to the first `/readyz` 200;
 * then its RSS once idle.
 */
import { spawn } from "node:child_process";
import { freePort, median, ROOT, rssMb, startServer, stopChild } from "./lib/proc.js";

export interface StartupResult {
  readyMs: number;
  rssIdleMb: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchStartup(databaseUrl: string, runs: number): Promise<StartupResult> {
  const sidecarPort = await freePort();
  const sidecar = await startServer("sidecar", sidecarPort);
  const times: number[] = [];
  const rss: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const port = await freePort();
      const started = performance.now();
      const child = spawn(process.execPath, ["bin/taskbeat.mjs", "serve", "--group", "email"], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          DAPR_HTTP_PORT: String(sidecarPort),
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "warn",
        },
      });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      try {
        for (;;) {
          if (child.exitCode !== null)
            throw new Error(`serve exited with ${child.exitCode}: ${stderr.slice(-500)}`);
          if (performance.now() - started > 30_000)
            throw new Error(`serve not ready in 30 s: ${stderr.slice(-500)}`);
          const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.status === 200,
            () => false,
          );
          if (ok) break;
          await sleep(5);
        }
        times.push(performance.now() - started);
        await sleep(1_000);
        rss.push(rssMb(child.pid));
      } finally {
        await stopChild(child);
      }
    }
  } finally {
    await sidecar.stop();
  }
  return { readyMs: median(times), rssIdleMb: median(rss) };
}
