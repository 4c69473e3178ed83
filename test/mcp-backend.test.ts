/**
 * The real backend group as an assistant meets it: the generated registry's 23 tools behind
 * `/mcp`, over Streamable HTTP with the SDK's own `Client`, against real PostgreSQL. A create →
 * list → search → complete round trip, and every tool advertised with schemas and annotations.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, serveBackend, userToken } from "./support/backend-app.js";
import { useTestDb } from "./support/db.js";
import type { Served } from "./support/http.js";

const db = useTestDb("mcp-backend");

const TOOLS = [
  "add_tag_to_task",
  "add_task",
  "add_tasks",
  "cancel_reminder",
  "complete_task",
  "create_category",
  "create_tag",
  "delete_category",
  "delete_tag",
  "delete_task",
  "get_settings",
  "get_task",
  "list_categories",
  "list_reminders",
  "list_tags",
  "list_tasks",
  "preview_recurrence",
  "remove_tag_from_task",
  "search_tasks",
  "set_reminder",
  "uncomplete_task",
  "update_category",
  "update_settings",
  "update_tag",
  "update_task",
];

let served: Served;
let client: Client;
let committed = 0;

beforeAll(async () => {
  served = await serveBackend(db.sql, {
    onEventsCommitted: () => {
      committed++;
    },
  });
  client = await connectClient(served.url, await userToken(db.sql, "ada@example.com", "Europe/Berlin"));
});
afterAll(async () => {
  await client?.close();
  await served?.close();
});

type Structured<T> = {
  structuredContent: T;
  content: Array<{ type: string; text: string }>;
  isError?: boolean;
};
const call = async <T>(name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as unknown as Structured<T>;

describe("the backend's MCP server", () => {
  it("lists every tool, each with a description, object schemas, described inputs and annotations", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
      expect(typeof tool.annotations?.readOnlyHint, tool.name).toBe("boolean");
      expect("user_id" in (tool.inputSchema.properties ?? {}), tool.name).toBe(false);
    }
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const read of [
      "list_tasks",
      "get_task",
      "search_tasks",
      "list_tags",
      "list_categories",
      "list_reminders",
      "get_settings",
    ]) {
      expect(byName.get(read)?.annotations?.readOnlyHint, read).toBe(true);
    }
    for (const destructive of ["delete_task", "delete_tag", "delete_category", "cancel_reminder"]) {
      expect(byName.get(destructive)?.annotations?.destructiveHint, destructive).toBe(true);
      // Deleting twice deletes nothing more: the second call only answers NOT_FOUND.
      expect(byName.get(destructive)?.annotations?.idempotentHint, destructive).toBe(true);
    }
  });

  it("create → list → search → complete, as the token's user, with events committed", async () => {
    const before = committed;
    const created = await call<{ task: { id: string; title: string; due_date: string; time_zone: string } }>(
      "add_task",
      {
        title: "  File the tax return ",
        description: "Elster, before the deadline",
        due_date: "2026-12-31",
        priority: "high",
      },
    );
    expect(created.isError).toBeFalsy();
    const task = created.structuredContent.task;
    expect(task).toMatchObject({ title: "File the tax return", time_zone: "Europe/Berlin" });
    // A date alone means the end of that day in the user's zone (CET, UTC+1).
    expect(task.due_date).toBe("2026-12-31T22:59:59.000Z");
    expect(created.content[0]?.text).toMatch(/File the tax return/);

    const listed = await call<{ tasks: Array<{ id: string }>; nextCursor: string | null }>("list_tasks", {
      status: "pending",
    });
    expect(listed.structuredContent.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(listed.structuredContent.nextCursor).toBeNull();

    const found = await call<{ tasks: Array<{ id: string }> }>("search_tasks", { query: "tax" });
    expect(found.structuredContent.tasks.map((t) => t.id)).toEqual([task.id]);

    const completed = await call<{ task: { completed: boolean; version: number } }>("complete_task", {
      task_id: task.id,
    });
    expect(completed.structuredContent.task).toMatchObject({ completed: true, version: 2 });
    expect(committed - before).toBe(2);

    const events = await db.sql<{ type: string }[]>`
      select event->>'type' as type from outbox where partition_key = ${task.id} order by seq`;
    expect(events.map((e) => e.type)).toEqual(["taskbeat.task.created.v1", "taskbeat.task.completed.v1"]);
  });

  it("refuses a misspelt argument instead of ignoring it (an unfiltered list would look filtered)", async () => {
    const result = await call<unknown>("list_tasks", { status: "pending", due_date_before: "tomorrow" });
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(
      /^VALIDATION_ERROR: Invalid arguments for list_tasks: unknown field "due_date_before" \(it takes status, priority, /,
    );
  });

  it("answers a domain failure as an isError result with its code, never a protocol error", async () => {
    const result = await call<unknown>("get_task", { task_id: "00000000-0000-4000-8000-000000000000" });
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^TASK_NOT_FOUND: /);
  });
});
