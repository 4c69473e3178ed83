/**
 * An assistant chaining calls with nothing but what its model sees: the text of each tool result. Vercel's
 * AI SDK (`@ai-sdk/mcp`: `tools()`, then each tool's `execute` and `toModelOutput`, exactly the path
 * `generateText` takes) hands the model the result's text blocks and never `structuredContent`; hosts
 * built on the official SDK's `Client` mostly do the same. So the scenario reads ids and cursors out of
 * that text: add a task, complete it by the id it read, set and list a reminder, page a list to the end.
 * Over Streamable HTTP (the backend app on a real port, a real token) and over stdio (`taskbeat mcp` as
 * a child process with TASKBEAT_TOKEN and DATABASE_URL), with both clients.
 */
import { fileURLToPath } from "node:url";
import { createMCPClient } from "@ai-sdk/mcp";
import { Experimental_StdioMCPTransport } from "@ai-sdk/mcp/mcp-stdio";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";
import { serveBackend } from "../support/backend-app.js";
import { useTestDb } from "../support/db.js";
import type { Served } from "../support/http.js";

const db = useTestDb("chained-scenario");
const bin = fileURLToPath(new URL("../../bin/taskbeat.mjs", import.meta.url));

/** An assistant's view of a server: call a tool, get the text its model would read. */
interface Assistant {
  see(tool: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

let served: Served;

beforeAll(async () => {
  served = await serveBackend(db.sql);
});
afterAll(async () => {
  await served?.close();
});

let users = 0;
/** A fresh user and token for each run, so the list the scenario pages through is its own. */
async function newToken(): Promise<string> {
  const user = await createUser(db.sql as Sql, {
    email: `assistant${++users}@example.com`,
    timeZone: "Europe/Paris",
  });
  return issueToken(db.sql as Sql, user.id);
}

/** What `taskbeat mcp` needs to run as that user on this file's database. */
const stdioEnv = (token: string): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  DATABASE_URL: db.url,
  ...(db.embedded ? { DATABASE_POOL_MAX: "1" } : {}),
  TASKBEAT_TOKEN: token,
  LOG_LEVEL: "warn",
});

/** The AI SDK: tools() → execute → toModelOutput, and the text parts of what that gives the model. */
async function aiSdk(transport: Parameters<typeof createMCPClient>[0]["transport"]): Promise<Assistant> {
  const mcp = await createMCPClient({ transport });
  const tools = await mcp.tools();
  let calls = 0;
  return {
    async see(name, args) {
      const tool = tools[name];
      if (!tool?.execute || !tool.toModelOutput) throw new Error(`the AI SDK has no tool ${name}`);
      const toolCallId = `call-${++calls}`;
      // execute's declared output may be a stream; an MCP tool's is the CallToolResult, as it is here.
      const output: unknown = await tool.execute(args, { toolCallId, messages: [] });
      const forModel = await tool.toModelOutput({ toolCallId, input: args, output: output as never });
      if (forModel.type !== "content") throw new Error(`unexpected model output ${forModel.type}`);
      return forModel.value.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    },
    close: () => mcp.close(),
  };
}

/** The official SDK's Client: a host built on it shows the model the result's text blocks. */
async function sdkClient(
  transport: StdioClientTransport | StreamableHTTPClientTransport,
): Promise<Assistant> {
  const client = new Client({ name: "scenario", version: "1.0.0" });
  await client.connect(transport);
  return {
    async see(name, args) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      return result.content.map((block) => (block.type === "text" ? block.text : "")).join("\n");
    },
    close: () => client.close(),
  };
}

const transports: Record<string, (token: string) => Promise<Assistant>> = {
  "AI SDK over Streamable HTTP": (token) =>
    aiSdk({ type: "http", url: `${served.url}/mcp`, headers: { Authorization: `Bearer ${token}` } }),
  "AI SDK over stdio": (token) =>
    aiSdk(
      new Experimental_StdioMCPTransport({
        command: process.execPath,
        args: [bin, "mcp"],
        env: stdioEnv(token),
      }),
    ),
  "official SDK client over Streamable HTTP": (token) =>
    sdkClient(
      new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    ),
  "official SDK client over stdio": (token) =>
    sdkClient(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, "mcp"],
        env: stdioEnv(token),
        stderr: "pipe",
      }),
    ),
};

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** The first value of `"key":"…"` in the text, as a model reading the JSON would find it. */
function read(text: string, key: string, pattern = '[^"]+'): string {
  const found = new RegExp(`"${key}":"(${pattern})"`).exec(text)?.[1];
  if (found === undefined) throw new Error(`no ${key} in what the model saw:\n${text}`);
  return found;
}

describe.each(Object.keys(transports))("an assistant on %s", (name) => {
  it("adds a task, completes it by the id it read, reminds and pages to the end from the text alone", async () => {
    const assistant = await (transports[name] as (token: string) => Promise<Assistant>)(await newToken());
    try {
      const added = await assistant.see("add_task", { title: "Buy milk", due_date: "2030-01-15T09:00" });
      expect(added).toMatch(/^Created task “Buy milk”, due Jan 15, 2030, 09:00 \(Europe\/Paris\)\./);
      const taskId = read(added, "id", UUID);
      expect(read(added, "time_zone")).toBe("Europe/Paris");

      const reminded = await assistant.see("set_reminder", { task_id: taskId, minutes_before: 30 });
      const reminderId = read(reminded, "id", UUID);
      expect(read(reminded, "state")).toBe("pending");
      const reminders = await assistant.see("list_reminders", { task_id: taskId });
      expect(reminders).toContain(reminderId);
      expect(read(reminders, "state")).toBe("pending");

      const completed = await assistant.see("complete_task", { task_id: taskId });
      expect(completed).toMatch(/^Completed “Buy milk”/);
      expect(await assistant.see("get_task", { task_id: taskId })).toContain('"completed":true');
      // Completing cancelled the reminder, and the listing says so.
      expect(read(await assistant.see("list_reminders", { task_id: taskId }), "state")).toBe("cancelled");

      const batch = await assistant.see("add_tasks", {
        tasks: Array.from({ length: 6 }, (_, i) => ({ title: `Errand ${i + 1}` })),
      });
      expect(batch).toMatch(/^Created 6 tasks\./);

      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const text = await assistant.see("list_tasks", { limit: 3, ...(cursor ? { cursor } : {}) });
        for (const match of text.matchAll(new RegExp(`\\{"id":"(${UUID})"`, "g"))) seen.add(match[1] ?? "");
        if (text.includes('"nextCursor":null')) {
          cursor = undefined;
          break;
        }
        cursor = read(text, "nextCursor");
      }
      expect(cursor).toBeUndefined();
      expect(seen.size).toBe(7);
      expect(seen.has(taskId)).toBe(true);
    } finally {
      await assistant.close();
    }
  });
});
