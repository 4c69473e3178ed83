/**
 * Keyset pages, for every listing (tasks, search, reminders, categories, tags). A cursor is opaque
 * base64url JSON: a short hash of the query that made it (the listing, its filters, sort and words), the
 * last row's sort keys (as Postgres printed them, so microseconds and float ranks survive the round trip
 * exactly) and its id, the tie-break that makes equal keys safe. A page starts strictly after that row,
 * which only means something in the order and filters it came from: a cursor handed to another query is
 * refused, rather than answered with a page that silently skips or repeats rows.
 */
import { createHash } from "node:crypto";
import { DomainError } from "./errors.js";
import { isUuid } from "./ids.js";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function checkLimit(limit: number | undefined): number {
  const value = limit ?? 50;
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw new DomainError("VALIDATION_ERROR", "limit must be a whole number from 1 to 100.");
  }
  return value;
}

export type KeyKind = "timestamp" | "integer" | "real" | "text";

const PATTERNS: Record<KeyKind, RegExp> = {
  timestamp: /^(-?infinity|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/,
  integer: /^-?\d{1,9}$/,
  real: /^-?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|Infinity)$/i,
  // A label's lower-cased name: it is only ever compared, as a bound parameter.
  text: /^[\s\S]{0,200}$/,
};

/** `to_char` format (of a timestamp at time zone 'UTC') that keeps every microsecond of a key. */
export const TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/**
 * A listing and the query a page of it answers: its arguments after normalising (defaults filled in,
 * ids lower-cased, dates as instants), so the same query spelt differently keeps its cursor.
 */
export interface Listing {
  name: string;
  query?: unknown;
}

const digest = (listing: Listing) =>
  createHash("sha256")
    .update(JSON.stringify([listing.name, listing.query ?? null]))
    .digest("base64url")
    .slice(0, 16);

export function encodeCursor(listing: Listing, keys: readonly string[], id: string): string {
  return Buffer.from(JSON.stringify({ q: digest(listing), k: keys, id })).toString("base64url");
}

/** The keys and id of a cursor this query made; a mangled or another query's cursor is VALIDATION_ERROR. */
export function decodeCursor(
  cursor: string,
  listing: Listing,
  kinds: readonly KeyKind[],
): { keys: string[]; id: string } {
  let value: { q?: unknown; k?: unknown; id?: unknown } | undefined;
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
  if (value?.q !== digest(listing)) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "This cursor belongs to a different query; start again without it.",
    );
  }
  return { keys: keys as string[], id: value.id as string };
}
