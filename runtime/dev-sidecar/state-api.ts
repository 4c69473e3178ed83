/**
 * The state API (contract §6): save, get, delete, bulk get and transactions over `StateStore`. Keys are
 * stored as `{appId}||{key}` like daprd's default `keyPrefix: appid`; callers never see the prefix.
 */
import { parseJsonOr } from "../json.js";
import {
  ApiError,
  empty,
  json,
  metadataFromQuery,
  type Reply,
  type RequestContext,
  type Route,
} from "./http.js";
import { field, isPlainObject } from "./json.js";
import { type Concurrency, EtagMismatchError, type StateOperation, StateStore } from "./state-store.js";

export function stateRoutes(appId: string, names: readonly string[]): Route[] {
  const stores = new Map(names.map((n) => [n, new StateStore()]));
  const storeOf = (ctx: RequestContext): StateStore => {
    if (stores.size === 0)
      throw new ApiError(500, "ERR_STATE_STORE_NOT_CONFIGURED", "state store is not configured");
    const name = ctx.params.store ?? "";
    const store = stores.get(name);
    if (!store) throw new ApiError(400, "ERR_STATE_STORE_NOT_FOUND", `state store ${name} is not found`);
    return store;
  };
  const prefixed = (key: string) => `${appId}||${key}`;

  const save = async (ctx: RequestContext): Promise<Reply> => {
    const store = storeOf(ctx);
    const items = await jsonBody(ctx);
    if (!Array.isArray(items)) throw malformed("the body must be a JSON array of state items");
    // Query metadata is copied over each item's metadata.
    const query = metadataFromQuery(ctx.url);
    const ops = items.map((item) => upsert(item, query, prefixed));
    run(
      () => store.apply(ops),
      (err) => stateError(err, "ERR_STATE_SAVE"),
    );
    return empty();
  };

  const get = (ctx: RequestContext): Reply => {
    const item = storeOf(ctx).get(prefixed(validKey(ctx.params.key)));
    if (!item) return empty();
    return {
      status: 200,
      body: item.value,
      headers: { "content-type": item.contentType ?? "application/json", etag: item.etag },
    };
  };

  const remove = (ctx: RequestContext): Reply => {
    const store = storeOf(ctx);
    const ifMatch = ctx.headers["if-match"];
    const op: StateOperation = { kind: "delete", key: prefixed(validKey(ctx.params.key)) };
    if (typeof ifMatch === "string" && ifMatch !== "") op.etag = ifMatch;
    run(
      () => store.apply([op]),
      (err) => stateError(err, "ERR_STATE_DELETE"),
    );
    return empty();
  };

  const bulkGet = async (ctx: RequestContext): Promise<Reply> => {
    const store = storeOf(ctx);
    const body = await jsonBody(ctx);
    const keys = isPlainObject(body) ? field(body, "keys") : undefined;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string"))
      throw malformed("keys must be an array of strings");
    const out = (keys as string[]).map((key) => {
      const item = store.get(prefixed(validKey(key)));
      // `data` is the stored JSON embedded as is; a missing key comes back without data.
      return item ? { key, data: JSON.parse(item.value) as unknown, etag: item.etag } : { key };
    });
    return json(200, out);
  };

  const transaction = async (ctx: RequestContext): Promise<Reply> => {
    const store = storeOf(ctx);
    const body = await jsonBody(ctx);
    const operations = isPlainObject(body) ? (field(body, "operations") ?? []) : undefined;
    if (!Array.isArray(operations)) throw malformed("operations must be an array");
    const query = metadataFromQuery(ctx.url);
    const ops = operations.map((raw): StateOperation => {
      const kind = isPlainObject(raw) ? field(raw, "operation") : undefined;
      const request = isPlainObject(raw) ? field(raw, "request") : undefined;
      if (kind !== "upsert" && kind !== "delete") {
        throw new ApiError(
          400,
          "ERR_NOT_SUPPORTED_STATE_OPERATION",
          `operation type ${String(kind)} not supported`,
        );
      }
      if (kind === "upsert") return upsert(request, query, prefixed);
      if (!isPlainObject(request)) throw malformed("delete request must be an object");
      const op: StateOperation = { kind: "delete", key: prefixed(validKey(field(request, "key"))) };
      const etag = field(request, "etag");
      if (typeof etag === "string" && etag !== "") op.etag = etag;
      return op;
    });
    // Inside a transaction every store error, etag mismatch included, is a 500 (no 409).
    run(
      () => store.apply(ops),
      (err) =>
        new ApiError(
          500,
          "ERR_STATE_TRANSACTION",
          `error while executing state transaction: ${(err as Error).message}`,
        ),
    );
    return empty();
  };

  const p = "/v1.0/state/:store";
  return [
    { methods: ["POST", "PUT"], pattern: `${p}/bulk`, handler: bulkGet },
    { methods: ["POST", "PUT"], pattern: `${p}/transaction`, handler: transaction },
    { methods: ["POST", "PUT"], pattern: p, handler: save },
    { methods: ["GET"], pattern: `${p}/:key`, handler: get },
    { methods: ["DELETE"], pattern: `${p}/:key`, handler: remove },
  ];
}

function upsert(
  raw: unknown,
  query: Record<string, string>,
  prefixed: (k: string) => string,
): StateOperation {
  if (!isPlainObject(raw)) throw malformed("a state item must be a JSON object");
  const op: StateOperation = {
    kind: "upsert",
    key: prefixed(validKey(field(raw, "key"))),
    value: JSON.stringify(field(raw, "value") ?? null),
  };
  const etag = field(raw, "etag");
  if (typeof etag === "string" && etag !== "") op.etag = etag;
  const options = field(raw, "options");
  const concurrency = isPlainObject(options) ? field(options, "concurrency") : undefined;
  const consistency = isPlainObject(options) ? field(options, "consistency") : undefined;
  // Option values are checked by the store itself, hence a store error (500), not a 400.
  if (
    concurrency !== undefined &&
    concurrency !== "" &&
    concurrency !== "first-write" &&
    concurrency !== "last-write"
  ) {
    throw new ApiError(500, "ERR_STATE_SAVE", `invalid concurrency value ${String(concurrency)}`);
  }
  if (
    consistency !== undefined &&
    consistency !== "" &&
    consistency !== "strong" &&
    consistency !== "eventual"
  ) {
    throw new ApiError(500, "ERR_STATE_SAVE", `invalid consistency value ${String(consistency)}`);
  }
  if (concurrency) op.concurrency = concurrency as Concurrency;
  const contentType = field(raw, "contentType");
  if (typeof contentType === "string" && contentType !== "") op.contentType = contentType;
  const itemMetadata = field(raw, "metadata");
  const metadata = { ...(isPlainObject(itemMetadata) ? itemMetadata : {}), ...query };
  const ttl = Number(metadata.ttlInSeconds);
  if (metadata.ttlInSeconds !== undefined && Number.isInteger(ttl) && ttl > 0) op.ttlMs = ttl * 1000;
  return op;
}

function validKey(key: unknown): string {
  if (typeof key !== "string" || key === "") throw malformed("key is empty");
  if (key.includes("||")) throw malformed(`input key/keyPrefix '${key}' can't contain '||'`);
  return key;
}

async function jsonBody(ctx: RequestContext): Promise<unknown> {
  const parsed = parseJsonOr((await ctx.body()).toString("utf8"), undefined);
  if (parsed === undefined) throw malformed("request body is not valid JSON");
  return parsed;
}

function run(fn: () => void, toApiError: (err: unknown) => ApiError): void {
  try {
    fn();
  } catch (err) {
    throw toApiError(err);
  }
}

function stateError(err: unknown, code: string): ApiError {
  const status = err instanceof EtagMismatchError ? 409 : 500;
  return new ApiError(
    status,
    code,
    `failed ${code === "ERR_STATE_SAVE" ? "saving" : "deleting"} state: ${(err as Error).message}`,
  );
}

const malformed = (message: string) => new ApiError(400, "ERR_MALFORMED_REQUEST", message);
