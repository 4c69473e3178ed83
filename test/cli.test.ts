/** The `taskbeat` command as a user runs it: a real process, real ports, real signals. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type LocalSidecar, startSidecar } from "../runtime/dev/sidecar.js";
import { silentLogger } from "../runtime/log.js";
import { freePort } from "./support/ports.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = `${root}bin/taskbeat.mjs`;

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

let sidecar: LocalSidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
});

describe("taskbeat CLI", () => {
  it("--help lists the commands, and each command has its own --help", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["start", "serve", "gen", "invoke"])
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    const serve = await run(["serve", "--help"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/^Usage: taskbeat serve --group <group>/);
  });

  it("an unknown command or option is a usage error (exit 2) that says what was wrong", async () => {
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const option = await run(["gen", "--bogus"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/--bogus/);
  });

  it("serve without a group, or with an unknown one, exits 2 naming the problem", async () => {
    const missing = await run(["serve"], { FUNCTION_GROUP: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--group \(or FUNCTION_GROUP\) is required/);
    const unknown = await run(["serve", "--group", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown group "nope"/);
  });

  it("invalid configuration stops the process with every problem listed", async () => {
    const result = await run(["serve", "--group", "x"], { PORT: "eighty", SHUTDOWN_GRACE_MS: "-1" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PORT: must be an integer/);
    expect(result.stderr).toMatch(/SHUTDOWN_GRACE_MS: must be ≥ 0/);
  });

  it("invoke publishes a CloudEvent through the sidecar and prints its id", async () => {
    sidecar = await startSidecar({ log: silentLogger });
    const result = await run(["invoke", "greetings", "--data", '{"name":"Ada"}', "--subject", "s-1"], {
      DAPR_HTTP_PORT: String(sidecar.port),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    const message = sidecar.published.find((m) => m.topic === "greetings");
    expect(message?.metadata).toMatchObject({ partitionKey: "s-1" });
    expect(JSON.parse(message?.body ?? "{}")).toMatchObject({
      id,
      type: "taskbeat.test.v1",
      subject: "s-1",
      data: { name: "Ada" },
    });
  });

  it("invoke rejects data that is not JSON before touching the network", async () => {
    const result = await run(["invoke", "greetings", "--data", "{nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--data is not valid JSON/);
  });

  it("start runs the app and the local sidecar, and stops cleanly on SIGTERM", async () => {
    const [port, daprPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [bin, "start"], {
      cwd: root,
      env: { ...process.env, PORT: String(port), DAPR_HTTP_PORT: String(daprPort), LOG_LEVEL: "warn" },
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/taskbeat is running/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${daprPort}/v1.0/healthz`)).status).toBe(204);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toMatchObject({ status: "ready", checks: { sidecar: { ok: true } } });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
