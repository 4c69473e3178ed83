/**
 * The backend group as it runs in production: `node bin/taskbeat.mjs serve --group backend`, its own
 * process, DATABASE_URL on the bench schema, a local sidecar standing in for daprd (serve waits for one
 * before `/readyz` says ready, and its outbox relay publishes there after every task write).
 */
import { type Child, cpuMs, freePort, startServer, stopChild } from "./proc.js";
import { type ServeOptions, spawnServe } from "./serve.js";

export interface Backend {
  /** `http://127.0.0.1:<port>`; the MCP endpoint is `${url}/mcp`. */
  url: string;
  pid: number;
  /** CPU time the process has used so far (user + system), in ms; NaN where /proc is missing. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export type BackendOptions = Pick<ServeOptions, "nodeArgs" | "root">;

export async function startBackend(databaseUrl: string, options: BackendOptions = {}): Promise<Backend> {
  const sidecarPort = await freePort();
  const port = await freePort();
  // Both start at once: serve waits for the sidecar before it says ready anyway.
  const serve = spawnServe({ group: "backend", databaseUrl, sidecarPort, port, ...options });
  const sidecar: Promise<Child | undefined> = startServer("sidecar", sidecarPort);
  const stop = async () => {
    await stopChild(serve.child);
    await (await sidecar.catch(() => undefined))?.stop();
  };
  try {
    await sidecar;
    await serve.untilReady(20);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: serve.url, pid: serve.child.pid ?? 0, cpuMs: () => cpuMs(serve.child.pid), stop };
}
