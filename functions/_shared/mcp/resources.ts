/**
 * `task://{id}`: one of the caller's tasks as JSON, the same object the tools return, so an assistant
 * (or a person picking context in a client) can attach a task without a tool call. Tasks are not
 * enumerated in `resources/list`: a person may have thousands; `list_tasks` pages through them.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpRequestExtra } from "../../../runtime/mcp/server.js";
import type { ToolContext } from "../domain/context.js";
import { loadTasks } from "../domain/task-view.js";

/** MCP's "Resource not found" error code (the SDK 1.x enum does not name it). */
export const RESOURCE_NOT_FOUND = -32002;

const TASK_URI = /^task:\/\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function registerTaskResource(
  server: Server,
  ctxFactory: (extra: McpRequestExtra) => ToolContext,
): void {
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: "task://{id}",
        name: "task",
        title: "Task",
        description: "One of your tasks as JSON (the object get_task returns); {id} is the task's id.",
        mimeType: "application/json",
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    // Checked before the query: a malformed id would otherwise be a uuid cast error from PostgreSQL.
    const id = TASK_URI.exec(uri)?.[1]?.toLowerCase();
    const ctx = ctxFactory(extra);
    const [task] = id === undefined ? [] : await loadTasks(ctx.sql, ctx.user.id, [id]);
    // Another user's task and a missing one look the same, as in the tools.
    if (!task) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(task, null, 2) }] };
  });
}
