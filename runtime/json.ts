/**
 * Parsing JSON that may not be JSON: a delivery body, a state value, an error answer. Callers choose what
 * "not JSON" becomes, so the try/catch lives in one place.
 */

/**
 * `JSON.parse(text)`, or `fallback` when `text` is not JSON. JSON.parse never returns undefined, so with
 * `fallback` undefined a result of undefined means "not JSON" and nothing else (a JSON `null` stays null).
 *
 * @example
 * parseJsonOr('{"a":1}', undefined); // { a: 1 }
 * parseJsonOr("plain text", "plain text"); // "plain text": keep the text as it is
 */
export function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
