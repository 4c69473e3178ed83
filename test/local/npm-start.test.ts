/**
 * `npm start` stopped with SIGTERM stops the server (issue 11 §2): before, npm's shell took the signal and
 * left `node bin/taskbeat.mjs start` running, holding the ports and the database. Also when npm is killed
 * outright (SIGKILL: nothing is forwarded), the server notices its parent is gone and stops.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import { holderOf, removeTempDirs, root, tempDir } from "./_local.js";

afterAll(removeTempDirs);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function npmStart(home: string): Promise<{ npm: ChildProcess; server: number }> {
  const env = {
    ...process.env,
    DATABASE_URL: "",
    TASKBEAT_HOME: home,
    PORT: String(await freePort()),
    DAPR_HTTP_PORT: String(await freePort()),
    LOG_LEVEL: "warn",
  };
  const npm = spawn("npm", ["start"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("npm start did not come up")), 90_000);
    createInterface({ input: npm.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (!line.startsWith("  try ")) return;
      clearTimeout(timer);
      resolve();
    });
  });
  // The process that serves: the one holding the database.
  const server = (await holderOf(home))?.pid ?? 0;
  expect(server).toBeGreaterThan(0);
  expect(server).not.toBe(npm.pid);
  return { npm, server };
}

describe("npm start", () => {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`${signal} to npm stops the server it started`, async () => {
      const { npm, server } = await npmStart(await tempDir("taskbeat-npm-"));
      try {
        npm.kill(signal);
        await expect.poll(() => alive(server), { timeout: 15_000, interval: 100 }).toBe(false);
      } finally {
        if (alive(server)) process.kill(server, "SIGKILL");
      }
    }, 120_000);
  }
});
