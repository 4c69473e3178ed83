/**
 * Start-up and memory of one group: `node bin/taskbeat.mjs serve --group email` spawned with a local
 * sidecar already up and DATABASE_URL set (schema already migrated), timed to the first `/readyz` 200;
 * then its RSS once idle.
 */
import { freePort, median, rssMb, startServer, stopChild } from "./lib/proc.js";
import { spawnServe } from "./lib/serve.js";

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
      const serve = spawnServe({ group: "email", databaseUrl, sidecarPort, port });
      try {
        await serve.untilReady(5);
        times.push(performance.now() - started);
        await sleep(1_000);
        rss.push(rssMb(serve.child.pid));
      } finally {
        await stopChild(serve.child);
      }
    }
  } finally {
    await sidecar.stop();
  }
  return { readyMs: median(times), rssIdleMb: median(rss) };
}
