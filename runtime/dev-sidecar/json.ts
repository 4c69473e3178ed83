/**
 * JSON rendered the way Go's `encoding/json` renders a `map[string]interface{}`: object keys sorted,
 * and `<`, `>`, `&`, U+2028 and U+2029 escaped. daprd re-marshals every envelope it builds, so these
 * are the bytes a subscriber of a real sidecar receives; matching them keeps byte-level assertions honest.
 */
export function marshalLikeGo(value: unknown): string {
  const text = JSON.stringify(sortKeys(value));
  if (text === undefined) return "null";
  // These characters only ever occur inside JSON strings, where the escapes are equivalent.
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Go's `encoding/json` matches struct fields case-insensitively (an exact match wins), so daprd reads
 * `"Status"` or `"pubsubName"` too.
 */
export function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}
