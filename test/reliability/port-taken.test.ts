/**
 * `serve` and `start` with DATABASE_URL when their port is taken (issue 15 §5): they exit non-zero
 * within seconds with a message that names the port, instead of hanging with the pool open, so
 * Kubernetes restarts the pod. Real processes through bin/taskbeat.mjs, a real PostgreSQL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { useTestDb } from "../support/db.js";
import { freePort } from "../support/ports.js";

const bin = fileURLToPath(new URL("../../bin/taskbeat.mjs", import.meta.url));
const db = useTestDb("port-taken");

let holder: Server;
const sockets: Socket[] = [];
let takenPort: number;
let home: string;
beforeAll(async () => {
  // A plain TCP holder; what connects to it (the sidecar waiting for its app) is cut at the end.
  holder = createServer((socket) => sockets.push(socket.on("error", () => {})));
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  takenPort = (holder.address() as { port: number }).port;
  home = await mkdtemp(join(tmpdir(), "taskbeat-port-"));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, DATABASE_URL: db.url, TASKBEAT_HOME: home, LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const started = performance.now();
  return new Promise<{ code: number | null; ms: number; stderr: string }>((resolve) => {
    // Past 20 s it hangs, which is the bug: stop it and report.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, stderr });
    });
  });
}

/** Exited non-zero (not killed) within seconds, naming the taken port. */
function expectRefusedQuickly(result: Awaited<ReturnType<typeof run>>) {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stderr).toMatch(new RegExp(`port ${takenPort}.*in use`));
  expect(result.ms).toBeLessThan(15_000);
}

describe.skipIf(inject("databaseIsEmbedded"))("a taken port", () => {
  it("`serve` exits non-zero within seconds, naming the port", async () => {
    const result = await run(["serve", "--group", "recurring"], {
      PORT: String(takenPort),
      HOST: "127.0.0.1",
      DAPR_HTTP_PORT: String(await freePort()),
    });
    expectRefusedQuickly(result);
  }, 30_000);

  it("`start` exits non-zero within seconds when the app port is taken", async () => {
    const result = await run(["start"], {
      PORT: String(takenPort),
      DAPR_HTTP_PORT: String(await freePort()),
    });
    expectRefusedQuickly(result);
  }, 30_000);

  it("`start` exits non-zero within seconds when the sidecar port is taken", async () => {
    const result = await run(["start"], {
      PORT: String(await freePort()),
      DAPR_HTTP_PORT: String(takenPort),
    });
    expectRefusedQuickly(result);
  }, 30_000);
});
