/**
 * The MCP server: the registry's tools, plus whatever resources and prompts the application's MCP setup
 * adds, on the SDK's low-level `Server` (its high-level `McpServer` only takes Zod schemas). The
 * transports build one per request (HTTP) or per process (stdio); the caller is fixed by then.
 *
 * Failures are results the assistant can act on: a `ToolError` keeps its code and sentence, bad
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
  RequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/index.js";
import type { McpSetup } from "../define.js";
import type { Logger } from "../log.js";
import type { RegisteredTool } from "../registry.js";
import {
  type CompiledTool,
  check,
  compileTools,
  nulCharacterAt,
  unknownArguments,
  withoutNulls,
} from "./schema.js";
import { ToolError } from "./tool-error.js";

export type McpRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
/** What every tool context has, whatever the application adds: a logger for the call. */
interface LoggingContext {
  log: Logger;
}

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

/** One caller's server: the tools, and the setup's resources and prompts, all with that caller's context. */
export function createMcpServer(
  tools: readonly RegisteredTool[],
  setup: McpSetup,
  ctx: LoggingContext,
  onToolCall?: OnToolCall,
): Server {
  const catalog = compileTools(tools);
  const server = new Server(
    { name: setup.serverName, version: SERVER_VERSION },
    {
      capabilities: { tools: {}, ...(setup.extend ? { resources: {}, prompts: {} } : {}) },
      ...(setup.instructions ? { instructions: setup.instructions } : {}),
      jsonSchemaValidator: sharedValidator,
    },
  );
  const listing = { tools: [...catalog.values()].map((tool) => tool.listing) };
  server.setRequestHandler(ListToolsRequestSchema, () => listing);
  server.setRequestHandler(CallToolRequest, async (request) => {
    // CallToolRequest has checked both: a string name, and arguments that are an object or absent.
    const { name, arguments: args } = request.params as { name: string; arguments?: unknown };
    const tool = catalog.get(name);
    // An unknown tool is a protocol error (-32602), as the MCP spec asks, not a tool result.
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    if (!onToolCall) return callTool(tool, args ?? {}, ctx);
    const startedAt = performance.now();
    const result = await callTool(tool, args ?? {}, ctx);
    onToolCall(tool.unit.name, toolErrorOf(result)?.code ?? "ok", (performance.now() - startedAt) / 1000);
    return result;
  });
  setup.extend?.(server, () => ctx);
  return server;
}

/** Told of every answered tool call (metrics): its outcome is "ok" or the error result's code. */
export type OnToolCall = (tool: string, outcome: string, seconds: number) => void;

/** The package version clients see in `initialize`. */
const SERVER_VERSION = "0.1.0";

/**
 * `tools/call` as the SDK parses it, except that `arguments` which is not an object (a string, an array,
 * a number) is refused with a short -32602. The SDK's own schema would refuse it too, but as -32603
 * with the whole Zod issue list, which reads to a model like a server fault. Thrown from the check, the
 * McpError reaches the client as it is.
 */
const CallToolRequest = CallToolRequestSchema.extend({ params: RequestSchema.shape.params }).superRefine(
  (request) => {
    const params = request.params as { name?: unknown; arguments?: unknown } | undefined;
    if (typeof params?.name !== "string")
      throw new McpError(ErrorCode.InvalidParams, "tools/call needs params.name, the tool's name.");
    const args = params.arguments;
    if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) {
      const kind = args === null ? "null" : Array.isArray(args) ? "an array" : `a ${typeof args}`;
      throw new McpError(
        ErrorCode.InvalidParams,
        `The arguments of tools/call must be a JSON object of named fields, not ${kind}.`,
      );
    }
  },
);

/**
 * One tool call, as every transport (and the tests' `call` helper) makes it: nulls that mean "not
 * given" dropped, unknown fields and NUL characters refused, the input validated, the output checked
 * against the schema the listing advertises, and the answer shaped by `toolResult`.
 */
export async function callTool(
  tool: CompiledTool,
  rawArgs: unknown,
  ctx: LoggingContext,
): Promise<CallToolResult> {
  const { unit } = tool;
  const log = ctx.log.child({ tool: unit.name });
  const startedAt = performance.now();
  const invalid = (problem: string) =>
    toolError("VALIDATION_ERROR", `Invalid arguments for ${unit.name}: ${problem}`);
  try {
    const args = withoutNulls(tool.nulls, rawArgs);
    const unknown = unknownArguments(tool, args);
    if (unknown) return invalid(unknown);
    const nulAt = nulCharacterAt(args);
    if (nulAt !== undefined)
      return invalid(`${nulAt}: contains a NUL character (\\u0000), which cannot be stored; remove it`);
    const input = await check(unit.input, args);
    if (!input.ok) return invalid(input.message);
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
    return toolResult(unit.summarize(structuredContent), structuredContent);
  } catch (error) {
    if (error instanceof ToolError) {
      log.debug("tool call", { outcome: error.code, ms: Math.round(performance.now() - startedAt) });
      return toolError(error.code, error.message);
    }
    log.error("tool failed", { error });
    return internalError(unit.name);
  }
}

/**
 * What every successful call answers, whatever the tool: two text blocks, the one-line summary for
 * people and then `structuredContent` serialized as JSON, as the MCP spec asks of a tool with structured
 * output. Many clients (the AI SDK's `tools()`, Claude Desktop) hand the model the text blocks only, so
 * the ids, `nextCursor`, dates with their zone and reminder states a follow-up call needs must be there.
 * The JSON block is exactly the structured content (MCP Inspector checks that a text block parses to it).
 */
export function toolResult(summary: string, structuredContent: Record<string, unknown>): CallToolResult {
  return {
    content: [
      { type: "text", text: asSentence(summary) },
      { type: "text", text: JSON.stringify(structuredContent) },
    ],
    structuredContent,
  };
}

function toolError(code: string, message: string): CallToolResult {
  const error: ToolErrorInfo = { code, message: asSentence(message) };
  return {
    isError: true,
    content: [{ type: "text", text: `${code}: ${error.message}` }],
    _meta: { [ERROR_META_KEY]: error },
  };
}

/**
 * Ends a message with exactly one full stop. Messages are put together from parts (a validator's
 * sentence inside "Invalid arguments for …: …"), and a part that ends its own sentence must not leave
 * "..": the one check, here, for every answer.
 */
export function asSentence(text: string): string {
  const bare = text.trimEnd().replace(/\.+$/, "");
  return /[!?…]$/.test(bare) ? bare : `${bare}.`;
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
