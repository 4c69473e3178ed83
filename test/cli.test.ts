import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { authenticate } from "../functions/_shared/auth/tokens.js";
import { type LocalSidecar, startSidecar } from "../runtime/dev-sidecar/sidecar.js";
import { silentLogger } from "../runtime/log.js";
import { runCli } from "./support/cli.js";
import { useTestDb } from "./support/db.js";
import { freePort } from "./support/ports.js";
import { type Spawned, spawnTs } from "./support/process.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = `${root}bin/taskbeat.mjs`;
const db = useTestDb("cli");
const homes: string[] = [];
afterAll(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

/** A fresh TASKBEAT_HOME, removed after the file's tests. */
async function tempHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "taskbeat-cli-"));
  homes.push(home);
  return home;
}

/** The environment of a command that works on this file's test database. */
const onTestDb = () => ({
  DATABASE_URL: db.url,
  // The embedded test database is one PGlite session: more than one connection interleaves.
  ...(db.embedded ? { DATABASE_POOL_MAX: "1" } : {}),
});

// No inherited DATABASE_URL: a command under test must never touch the database the tests run on.
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { DATABASE_URL: "", ...env });

let sidecar: LocalSidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
});

describe("taskbeat CLI", () => {
  it("--help lists the commands, and each command has its own --help", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["start", "serve", "users", "mcp", "migrate", "gen", "invoke"])
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
    expect(unknown.stderr).toMatch(
      /unknown group "nope" \(groups: backend, email, notification, recurring\)/,
    );
    // A name every object has is still not a group.
    const inherited = await run(["serve", "--group", "toString"]);
    expect(inherited.code).toBe(2);
    expect(inherited.stderr).toMatch(/unknown group "toString"/);
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
});

describe("taskbeat users", () => {
  it("create prints a token alone on the last line, and token issues another; both authenticate", async () => {
    const created = await run(
      ["users", "create", "--email", "Ada@Example.com", "--name", "Ada", "--tz", "europe/paris"],
      onTestDb(),
    );
    expect(created.code).toBe(0);
    const first = created.stdout.trimEnd().split("\n").at(-1) ?? "";
    expect(first).toMatch(/^tb_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/Created user ada@example.com \(time zone Europe\/Paris\)/);

    const issued = await run(["users", "token", "ada@example.com", "--label", "laptop"], onTestDb());
    expect(issued.code).toBe(0);
    const second = issued.stdout.trimEnd().split("\n").at(-1) ?? "";
    expect(second).toMatch(/^tb_/);
    expect(second).not.toBe(first);
    for (const token of [first, second]) {
      expect(await authenticate(db.sql, token)).toMatchObject({
        email: "ada@example.com",
        displayName: "Ada",
        timeZone: "Europe/Paris",
      });
    }
  });

  it("refuses a duplicate email, an unknown zone and an unknown user with a one-line message", async () => {
    expect((await run(["users", "create", "--email", "dup@example.com"], onTestDb())).code).toBe(0);
    const cases = [
      [["users", "create", "--email", "DUP@example.com"], /already exists/],
      [["users", "create", "--email", "mars@example.com", "--tz", "Mars/Olympus"], /not an IANA time zone/],
      [["users", "token", "nobody@example.com"], /no user with the email nobody@example.com/],
    ] as const;
    for (const [args, message] of cases) {
      const result = await run([...args], onTestDb());
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe("");
      expect(result.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(message)]);
    }
  });

  it("a missing action or --email is a usage error", async () => {
    expect((await run(["users"])).code).toBe(2);
    const missing = await run(["users", "create"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--email is required/);
  });
});

describe("taskbeat migrate", () => {
  it("applies the migrations to a new embedded database, then finds it up to date", async () => {
    const env = { TASKBEAT_HOME: await tempHome() };
    const first = await run(["migrate"], env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 0001(, \d{4})* to the embedded database in .*pgdata\n$/);
    const again = await run(["migrate"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is up to date \(version \d+\)/);
  }, 120_000);

  it("finds DATABASE_URL up to date once it is migrated", async () => {
    const result = await run(["migrate"], onTestDb());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^DATABASE_URL is up to date \(version \d+\)\n$/);
  });
});

describe("taskbeat mcp", () => {
  it("serves the tools over stdio as the user of TASKBEAT_TOKEN", async () => {
    const created = await run(["users", "create", "--email", "stdio@example.com"], onTestDb());
    const token = created.stdout.trimEnd().split("\n").at(-1) ?? "";
    const client = new Client({ name: "cli-test", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, "mcp"],
      cwd: root,
      env: {
        ...(process.env as Record<string, string>),
        ...onTestDb(),
        TASKBEAT_TOKEN: token,
        LOG_LEVEL: "warn",
      },
      stderr: "pipe",
    });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("add_task");
    } finally {
      await client.close();
    }
  });

  it("refuses to serve without a valid TASKBEAT_TOKEN", async () => {
    const missing = await run(["mcp"], onTestDb());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/TASKBEAT_TOKEN is not set/);
    const wrong = await run(["mcp"], { ...onTestDb(), TASKBEAT_TOKEN: `tb_${"x".repeat(43)}` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/unknown or revoked/);
    expect(wrong.stdout).toBe("");
  });
});

describe("taskbeat start", () => {
  it("runs with no setup: embedded database, MCP URL and first-run token, events relayed after commit, data kept", async () => {
    const home = await tempHome();
    const env = {
      TASKBEAT_HOME: home,
      PORT: String(await freePort()),
      DAPR_HTTP_PORT: String(await freePort()),
      DATABASE_URL: "",
      LOG_LEVEL: "warn",
    };
    const first = spawnTs(bin, ["start"], env, root);
    let second: Spawned | undefined;
    try {
      await first.waitFor(/^ {2}try /, 60_000);
      const mcpUrl = (await first.waitFor(/^ {2}mcp /)).split(/\s+/)[2] ?? "";
      expect(mcpUrl).toBe(`http://127.0.0.1:${env.PORT}/mcp`);
      const token = (await first.waitFor(/^ {2}token +tb_/)).trim().split(/\s+/)[1] ?? "";
      expect(first.lines.join("\n")).toMatch(/you@localhost/);

      expect((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${env.DAPR_HTTP_PORT}/v1.0/healthz`)).status).toBe(204);
      const ready = await fetch(`http://127.0.0.1:${env.PORT}/readyz`);
      expect(await ready.json()).toMatchObject({
        status: "ready",
        checks: { sidecar: { ok: true }, database: { ok: true } },
      });

      // Another command reaches the same embedded database through the running process.
      const issued = await run(["users", "token", "you@localhost"], { TASKBEAT_HOME: home });
      expect(issued.code).toBe(0);
      const another = issued.stdout.trimEnd().split("\n").at(-1) ?? "";
      expect(another).toMatch(/^tb_/);

      for (const bearer of [token, another]) expect(await listTools(mcpUrl, bearer)).toContain("add_task");

      // A tool's event is published right after its commit (the relay's kick): refused here by the
      // sidecar, it stays in the outbox, and the relay-outbox job publishes it once its backoff is over.
      // The sidecar wants the generated token pair's API token (kept in TASKBEAT_HOME).
      const { daprApiToken } = JSON.parse(readFileSync(join(home, "credentials.json"), "utf8")) as {
        daprApiToken: string;
      };
      const faults = await fetch(`http://127.0.0.1:${env.DAPR_HTTP_PORT}/v1.0-dev/faults`, {
        method: "POST",
        headers: { "dapr-api-token": daprApiToken },
        body: JSON.stringify({ failNextPublishes: 1 }),
      });
      expect(faults.status).toBe(200);
      const client = await connectMcp(mcpUrl, token);
      const added = await client.callTool({ name: "add_task", arguments: { title: "Buy milk" } });
      expect(added.isError).toBeFalsy();
      // The rest of the round trip a new user makes: list, search, complete.
      const id = (added.structuredContent as { task: { id: string } }).task.id;
      // callTool's result type is a union that includes the legacy `toolResult` shape.
      const ids = (result: unknown) =>
        (result as { structuredContent: { tasks: Array<{ id: string }> } }).structuredContent.tasks.map(
          (task) => task.id,
        );
      expect(ids(await client.callTool({ name: "list_tasks", arguments: {} }))).toEqual([id]);
      expect(ids(await client.callTool({ name: "search_tasks", arguments: { query: "milk" } }))).toEqual([
        id,
      ]);
      const completed = await client.callTool({ name: "complete_task", arguments: { task_id: id } });
      expect((completed.structuredContent as { task: { completed: boolean } }).task.completed).toBe(true);
      await client.close();
      const announced = JSON.parse(readFileSync(join(home, "database.json"), "utf8")) as { url: string };
      const sql = postgres(announced.url, { max: 1, onnotice: () => {} });
      const outbox = () =>
        sql<{ attempts: number; last_error: string | null }[]>`select attempts, last_error from outbox`;
      try {
        await expect
          .poll(outbox, { timeout: 3_000 })
          .toContainEqual({ attempts: 1, last_error: expect.stringMatching(/injected fault/) });
        await expect.poll(outbox, { timeout: 15_000, interval: 250 }).toEqual([]);
      } finally {
        await sql.end();
      }

      first.child.kill("SIGTERM");
      expect((await first.exited).code).toBe(0);
      expect(existsSync(join(home, "database.json"))).toBe(false);

      // Second run: same data, so no new user and no token printed; the first token still works.
      second = spawnTs(bin, ["start"], env, root);
      await second.waitFor(/^ {2}try /, 60_000);
      expect(second.lines.join("\n")).not.toMatch(/tb_/);
      expect(second.lines.join("\n")).toMatch(/npx taskbeat users token you@localhost/);
      expect(await listTools(mcpUrl, token)).toContain("add_task");
      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGKILL");
    }
  }, 120_000);
});

/** The SDK's own client over Streamable HTTP. */
async function connectMcp(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "cli-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

async function listTools(url: string, token: string): Promise<string[]> {
  const client = await connectMcp(url, token);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}
