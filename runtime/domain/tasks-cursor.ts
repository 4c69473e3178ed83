/**
 * Opaque keyset cursors for task, search and reminder listings: base64url JSON holding the listing it
 * belongs to and the last row's sort keys (as Postgres printed them, so microseconds and float ranks
 * survive the round trip exactly) plus its id, the tie-break that makes equal keys safe.
 */
import { DomainError } from "./errors.js";
import { isUuid } from "./labels.js";

export type KeyKind = "timestamp" | "integer" | "real";

const PATTERNS: Record<KeyKind, RegExp> = {
  timestamp: /^(-?infinity|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/,
  integer: /^-?\d{1,9}$/,
  real: /^-?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|Infinity)$/i,
};

/** `to_char` format (of a timestamp at time zone 'UTC') that keeps every microsecond of a key. */
export const TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

export function encodeCursor(listing: string, keys: readonly string[], id: string): string {
  return Buffer.from(JSON.stringify({ l: listing, k: keys, id })).toString("base64url");
}

/** The keys and id of a cursor for this listing; a stranger's or mangled cursor is VALIDATION_ERROR. */
export function decodeCursor(
  cursor: string,
  listing: string,
  kinds: readonly KeyKind[],
): { keys: string[]; id: string } {
  let value: { l?: unknown; k?: unknown; id?: unknown } | undefined;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {}
  const keys = value?.k;
  const valid =
    Array.isArray(keys) &&
    keys.length === kinds.length &&
    keys.every((key, i) => typeof key === "string" && PATTERNS[kinds[i] as KeyKind].test(key)) &&
    typeof value?.id === "string" &&
    isUuid(value.id);
  if (!valid) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "That cursor is not valid; list again without one to start over.",
    );
  }
  if (value?.l !== listing) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "That cursor belongs to a listing with another sort order; list again without one to start over.",
    );
  }
  return { keys: keys as string[], id: value.id as string };
}
