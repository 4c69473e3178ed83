/** Real `taskbeat` processes on a temporary TASKBEAT_HOME, as a person's machine runs them. */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { runCli } from "../support/cli.js";
import { linesOf, type Spawned, spawnTs } from "../support/process.js";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const bin = `${root}bin/taskbeat.mjs`;

const made: string[] = [];
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A one-off command; no DATABASE_URL is inherited, so the tests' database is never touched. */
export const run = (args: string[], env: Record<string, string>, cwd = root) =>
  runCli(args, { DATABASE_URL: "", ...env }, cwd);

/**
 * `taskbeat start` as a process whose output lines can be awaited. From the project, through tsx like the
 * other tests; from another directory (where `--import tsx` does not resolve), as the bin runs itself.
 */
export function startProcess(env: Record<string, string>, cwd = root): Spawned {
  if (cwd === root) return spawnTs(bin, ["start"], { DATABASE_URL: "", ...env }, cwd);
  const child = spawn(process.execPath, [bin, "start"], {
    cwd,
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return linesOf(child);
}

/** `taskbeat mcp` started the way a desktop client does: the official SDK client over stdio. */
export async function stdioClient(
  env: Record<string, string>,
  cwd: string,
): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "mcp"],
    cwd,
    env: { ...(process.env as Record<string, string>), DATABASE_URL: "", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const client = new Client({ name: "local-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

export interface Holder {
  pid: number;
  role?: string;
  url?: string;
}

export async function holderOf(home: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(join(home, "database.json"), "utf8")) as Holder;
  } catch {
    return undefined;
  }
}

export function tokenOf(stdout: string): string {
  return stdout.trimEnd().split("\n").at(-1) ?? "";
}

/** callTool's structured result. */
export async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}
