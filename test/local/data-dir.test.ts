/**
 * Where local data lives (issue 11 §2): the per-user directory from any working directory; a
 * project-local `.taskbeat` from before is moved there once; `taskbeat mcp --config <client>` prints an
 * entry that works when a client starts it from a directory of its own.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import { removeTempDirs, root, run, stdioClient, tempDir, tokenOf } from "./_local.js";

afterAll(removeTempDirs);

describe("the local data directory", () => {
  it("moves a project-local .taskbeat to the per-user directory once, keeping its data", async () => {
    const project = await tempDir("taskbeat-project-");
    const xdg = await tempDir("taskbeat-xdg-");
    const legacy = join(project, ".taskbeat");
    const created = await run(["users", "create", "--email", "old@example.com"], { TASKBEAT_HOME: legacy });
    expect(created.code).toBe(0);

    const env = { TASKBEAT_HOME: "", XDG_DATA_HOME: xdg };
    const moved = await run(["users", "token", "old@example.com"], env, project);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toContain(`moved the local data from ${legacy} to ${join(xdg, "taskbeat")}`);
    expect(existsSync(join(xdg, "taskbeat", "pgdata"))).toBe(true);
    expect(existsSync(legacy)).toBe(false);

    // From anywhere now, without a word about it.
    const again = await run(["users", "token", "old@example.com"], env, xdg);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("moved");
  }, 120_000);
});

describe("taskbeat mcp --config", () => {
  it("prints a ready-to-paste entry, with a new labelled token, that works from another directory", async () => {
    const home = await tempDir("taskbeat-cfg-");
    const created = await run(["users", "create", "--email", "desk@example.com"], { TASKBEAT_HOME: home });
    expect(tokenOf(created.stdout)).toMatch(/^tb_/);

    const printed = await run(["mcp", "--config", "claude-desktop", "--email", "desk@example.com"], {
      TASKBEAT_HOME: home,
    });
    expect(printed.code).toBe(0);
    const entry = JSON.parse(printed.stdout.replace(/^\/\/.*\n/, "")) as {
      mcpServers: { taskbeat: { command: string; args: string[]; env: Record<string, string> } };
    };
    const server = entry.mcpServers.taskbeat;
    expect(server.command).toBe(process.execPath);
    expect(server.args).toEqual([join(root, "bin", "taskbeat.mjs"), "mcp"]);
    expect(server.env).toEqual({ TASKBEAT_TOKEN: expect.stringMatching(/^tb_/), TASKBEAT_HOME: home });

    // Started the way the client would, from its own directory.
    // (Own ports for the background work this process takes on, beside other tests.)
    const ports = { PORT: String(await freePort()), DAPR_HTTP_PORT: String(await freePort()) };
    const { client, stderr } = await stdioClient(
      { ...server.env, ...ports },
      await tempDir("taskbeat-desktop-"),
    );
    try {
      const added = await client.callTool({ name: "add_task", arguments: { title: "From the desk" } });
      expect(added.isError, stderr()).toBeFalsy();
    } finally {
      await client.close();
    }

    for (const name of ["cursor", "vscode", "claude-code"]) {
      const other = await run(["mcp", "--config", name, "--token", "tb_given"], { TASKBEAT_HOME: home });
      expect(other.code, name).toBe(0);
      expect(other.stdout, name).toContain("tb_given");
      expect(other.stdout, name).toContain(process.execPath);
    }
    expect((await run(["mcp", "--config", "notepad"], { TASKBEAT_HOME: home })).code).toBe(2);
  }, 240_000);
});
