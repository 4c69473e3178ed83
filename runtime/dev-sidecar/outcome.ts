/**
 * How daprd reads the app's answer to a delivery (contract §3.4 single, §4 bulk). Pure functions so the
 * whole table can be tested row by row; the consumers act on the outcome.
 */
import { parseJsonOr } from "../json.js";
import { field, isPlainObject } from "./json.js";

/** ack: done. drop: done, dead-lettered if configured. retry: try again under the retry policy. */
export type Outcome = "ack" | "drop" | "retry";

export interface Verdict {
  outcome: Outcome;
  reason: string;
}

/** `(*http).Deliver`: the answer to one CloudEvent. `status` undefined = connection error or timeout. */
export function interpretSingle(status: number | undefined, body: string): Verdict {
  if (status === undefined) return { outcome: "retry", reason: "app unreachable or timed out" };
  if (status === 404) return { outcome: "drop", reason: "app answered 404" };
  if (status < 200 || status > 299) return { outcome: "retry", reason: `app answered ${status}` };
  // Go decodes the body into struct{Status string}; anything that fails to decode is success.
  if (body.trim() === "") return { outcome: "ack", reason: "2xx with empty body" };
  const value = parseJsonOr(body, undefined);
  if (value === undefined) return { outcome: "ack", reason: "2xx with a non-JSON body" };
  if (value !== null && !isPlainObject(value))
    return { outcome: "ack", reason: "2xx with a non-object body" };
  const statusField = value === null ? undefined : field(value, "status");
  if (statusField !== undefined && statusField !== null && typeof statusField !== "string") {
    return { outcome: "ack", reason: "2xx with a non-string status" };
  }
  const s = (statusField as string | null | undefined) ?? "";
  if (s === "" || s === "SUCCESS") return { outcome: "ack", reason: `status ${JSON.stringify(s)}` };
  if (s === "DROP") return { outcome: "drop", reason: "status DROP" };
  // RETRY, and any unknown string (matching is case-sensitive: "success" is unknown).
  return { outcome: "retry", reason: `status ${JSON.stringify(s)}` };
}

/** `(*http).DeliverBulk`: one outcome per entry id of the batch. */
export function interpretBulk(
  status: number | undefined,
  body: string,
  entryIds: readonly string[],
  warn: (msg: string) => void = () => {},
): Map<string, Verdict> {
  const all = (verdict: Verdict) => new Map(entryIds.map((id) => [id, verdict]));
  if (status === undefined) return all({ outcome: "retry", reason: "app unreachable or timed out" });
  if (status === 404) return all({ outcome: "drop", reason: "app answered 404" });
  if (status < 200 || status > 299) return all({ outcome: "retry", reason: `app answered ${status}` });
  const value = parseJsonOr(body, undefined);
  const statuses = isPlainObject(value) ? field(value, "statuses") : undefined;
  // A non-JSON body, or statuses of the wrong shape, fail Go's decode: every entry is retried.
  if (value === undefined || (value !== null && !isPlainObject(value)) || !isArrayOrAbsent(statuses)) {
    return all({ outcome: "retry", reason: "2xx with an undecodable bulk response" });
  }
  const answered = new Map<string, string>();
  for (const item of statuses ?? []) {
    if (!isPlainObject(item))
      return all({ outcome: "retry", reason: "2xx with an undecodable bulk response" });
    const id = field(item, "entryId");
    const st = field(item, "status");
    if (!isStringOrAbsent(id) || !isStringOrAbsent(st)) {
      return all({ outcome: "retry", reason: "2xx with an undecodable bulk response" });
    }
    if (!entryIds.includes(id ?? "")) warn(`bulk response names unknown entryId ${JSON.stringify(id)}`);
    else answered.set(id ?? "", st ?? "");
  }
  const result = new Map<string, Verdict>();
  for (const id of entryIds) {
    const st = answered.get(id);
    if (st === "SUCCESS") result.set(id, { outcome: "ack", reason: "status SUCCESS" });
    else if (st === "DROP") result.set(id, { outcome: "drop", reason: "status DROP" });
    else if (st === undefined) result.set(id, { outcome: "retry", reason: "no status for this entry" });
    // Unlike a single delivery, "" means RETRY here.
    else result.set(id, { outcome: "retry", reason: `status ${JSON.stringify(st)}` });
  }
  return result;
}

function isArrayOrAbsent(v: unknown): v is unknown[] | undefined | null {
  return v === undefined || v === null || Array.isArray(v);
}

function isStringOrAbsent(v: unknown): v is string | undefined | null {
  return v === undefined || v === null || typeof v === "string";
}
