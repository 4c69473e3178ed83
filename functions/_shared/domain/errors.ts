/**
 * Failures a person (through their assistant) can act on. Each has a stable code the assistant can
 * branch on and a sentence it can repeat; the MCP layer turns them into `isError` results. Anything
 * else thrown is a bug or an outage and is reported without its details.
 */
import { ToolError } from "../../../runtime/mcp/tool-error.js";

export type DomainErrorCode =
  | "TASK_NOT_FOUND"
  | "CATEGORY_NOT_FOUND"
  | "TAG_NOT_FOUND"
  | "REMINDER_NOT_FOUND"
  | "INVALID_PRIORITY"
  | "INVALID_DUE_DATE"
  | "INVALID_RECURRENCE_RULE"
  | "INVALID_TIME_ZONE"
  | "TOO_MANY_TAGS"
  | "LIMIT_REACHED"
  | "DUPLICATE_NAME"
  | "VALIDATION_ERROR";

/** The MCP layer answers it as an error result with its code first (it is a runtime `ToolError`). */
export class DomainError extends ToolError {
  override name = "DomainError";
  constructor(
    override readonly code: DomainErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** Longest id echoed back: a UUID is 36 characters, anything a model sends may be megabytes. */
const MAX_ECHOED_ID = 64;

/** Another user's object and a missing one look the same, on purpose. */
export const notFound = (kind: "task" | "category" | "tag" | "reminder", id: string) =>
  new DomainError(
    `${kind.toUpperCase()}_NOT_FOUND` as DomainErrorCode,
    `No ${kind} with id ${id.length > MAX_ECHOED_ID ? `${id.slice(0, MAX_ECHOED_ID)}…` : id} exists for you.`,
  );

/** Postgres unique_violation (23505) on a name index → DUPLICATE_NAME with a readable sentence. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}
