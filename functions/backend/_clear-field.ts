/**
 * How an update tool empties a field. `null` cannot say it: strict function-calling clients send null for
 * every field they leave unset, so null means "not given" everywhere (runtime/mcp/schema.ts), and a client
 * that moves only a due date must not wipe the description with it. Clearing is said by name instead:
 * `clear: ["description", "due_date"]`.
 */
import * as v from "valibot";
import { DomainError } from "../_shared/domain/errors.js";

export const clearField = <const T extends readonly [string, ...string[]]>(fields: T) =>
  v.pipe(
    v.optional(v.array(v.picklist(fields))),
    v.description(
      `Fields to empty (${fields.join(", ")}); a field named here must not also be given a value.`,
    ),
  );

/** `changes` with each field in `clear` set to null (the domain's "empty it"); refuses a field given both ways. */
export function withCleared<C extends Record<string, unknown>>(
  changes: C,
  clear: readonly string[] | undefined,
): C {
  const result: Record<string, unknown> = { ...changes };
  for (const field of clear ?? []) {
    if (result[field] !== undefined && result[field] !== null) {
      throw new DomainError(
        "VALIDATION_ERROR",
        `${field} is both given a value and named in clear; choose one.`,
      );
    }
    result[field] = null;
  }
  return result as C;
}
