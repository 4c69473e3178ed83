/**
 * The MCP server: the registry's tools, the `task://{id}` resource template and the `daily_review`
 * prompt, on the SDK's low-level `Server` (its high-level `McpServer` only takes Zod schemas). The
 * transports build one per request (HTTP) or per process (stdio); the user is fixed by then.
 *
 * Failures are results the assistant can act on: a `DomainError` keeps its code and sentence, bad
 * arguments are VALIDATION_ERROR naming the field, anything else is INTERNAL_ERROR with a generic
 * sentence and the details only in the log (never SQL or a stack trace in an answer).
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/index.js";
import type { ToolContext } from "../domain/context.js";
import { DomainError } from "../domain/errors.js";
import type { RegisteredTool } from "../registry.js";
import { registerDailyReview } from "./prompts.js";
import { registerTaskResource } from "./resources.js";
import { type CompiledTool, check, compileTools, unknownArguments } from "./schema.js";

export type McpRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
/** The context of one request: who is calling, and with which database. */
export type McpContextFactory = (extra: McpRequestExtra) => ToolContext;

/**
 * Where an error result carries its code for programs. Not in `structuredContent`: the SDK's own
 * client (1.32) validates `structuredContent` against the tool's `outputSchema` even on `isError`
 * results and throws (modelcontextprotocol/typescript-sdk#1943), so an `{ error }` there would turn
 * every domain failure into an exception in the assistant. `_meta` is never validated.
 */
export const ERROR_META_KEY = "taskbeat/error";

export interface ToolErrorInfo {
  code: string;
  message: string;
}

const INSTRUCTIONS = `taskbeat keeps the signed-in person's tasks, categories, tags and reminders.
Dates are ISO 8601; a date without a time means the end of that day in the person's time zone.
Failed calls answer isError with a code first ("TASK_NOT_FOUND: …") and a sentence you can repeat.`;

/**
 * The SDK's Server checks elicitation answers against JSON Schema and, unless given a validator, builds
 * a fresh Ajv instance (every keyword and format compiled) in its constructor. Stateless HTTP builds a
 * server per request, so that was ~10 % of a request's CPU, for elicitation taskbeat never asks for.
 * One validator per process, its Ajv made on first use, behaves the same.
 */
let ajv: AjvJsonSchemaValidator | undefined;
const sharedValidator: jsonSchemaValidator = {
  getValidator: (schema) => {
    ajv ??= new AjvJsonSchemaValidator();
    return ajv.getValidator(schema);
  },
};

export function createMcpServer(tools: readonly RegisteredTool[], ctxFactory: McpContextFactory): Server {
  const catalog = compileTools(tools);
  const server = new Server(
    { name: "taskbeat", version: "0.1.0" },
    {
      capabilities: { tools: {}, resources: {}, prompts: {} },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: sharedValidator,
    },
  );
  const listing = { tools: [...catalog.values()].map((tool) => tool.listing) };
  server.setRequestHandler(ListToolsRequestSchema, () => listing);
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = catalog.get(request.params.name);
    // An unknown tool is a protocol error (-32602), as the MCP spec asks, not a tool result.
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    return callTool(tool, request.params.arguments ?? {}, ctxFactory(extra));
  });
  registerTaskResource(server, ctxFactory);
  registerDailyReview(server, ctxFactory);
  return server;
}

async function callTool(tool: CompiledTool, args: unknown, ctx: ToolContext): Promise<CallToolResult> {
  const { unit } = tool;
  const log = ctx.log.child({ tool: unit.name });
  const startedAt = performance.now();
  try {
    const unknown = unknownArguments(tool, args);
    if (unknown) return toolError("VALIDATION_ERROR", `Invalid arguments for ${unit.name}: ${unknown}.`);
    const input = await check(unit.input, args);
    if (!input.ok)
      return toolError("VALIDATION_ERROR", `Invalid arguments for ${unit.name}: ${input.message}.`);
    const output = await unit.handle(input.value, { ...ctx, log });
    // Always on: a valibot check of one result costs microseconds, and a result that breaks the
    // advertised outputSchema would be rejected by the client anyway, with a far worse message.
    const checked = await check(unit.output, output);
    if (!checked.ok) {
      log.error("tool output does not match its output schema", { problems: checked.message });
      return internalError(unit.name);
    }
    const structuredContent = checked.value as Record<string, unknown>;
    log.debug("tool call", { outcome: "ok", ms: Math.round(performance.now() - startedAt) });
    return { content: [{ type: "text", text: unit.summarize(structuredContent) }], structuredContent };
  } catch (error) {
    if (error instanceof DomainError) {
      log.debug("tool call", { outcome: error.code, ms: Math.round(performance.now() - startedAt) });
      return toolError(error.code, error.message);
    }
    log.error("tool failed", { error });
    return internalError(unit.name);
  }
}

function toolError(code: string, message: string): CallToolResult {
  const error: ToolErrorInfo = { code, message };
  return {
    isError: true,
    content: [{ type: "text", text: `${code}: ${message}` }],
    _meta: { [ERROR_META_KEY]: error },
  };
}

const internalError = (tool: string) =>
  toolError(
    "INTERNAL_ERROR",
    `${tool} failed because of a problem inside taskbeat, not because of the request. ` +
      "Try again in a moment; if it keeps failing, tell the person that taskbeat is having trouble.",
  );

/** The code and sentence of an error result (for tests and programmatic clients); undefined on success. */
export function toolErrorOf(result: {
  isError?: boolean;
  _meta?: Record<string, unknown>;
}): ToolErrorInfo | undefined {
  if (!result.isError) return undefined;
  return result._meta?.[ERROR_META_KEY] as ToolErrorInfo | undefined;
}
