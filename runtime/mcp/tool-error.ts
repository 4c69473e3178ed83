/**
 * A failure the caller can act on: a stable code an assistant can branch on and a sentence it can repeat.
 * The MCP layer answers it as an `isError` result with the code first; anything else thrown is reported as
 * INTERNAL_ERROR without its details. Applications extend it (e.g. with their own union of codes).
 */
export class ToolError extends Error {
  override name = "ToolError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
