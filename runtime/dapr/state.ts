/**
 * State API (contract §6). Optimistic concurrency: pass back the `etag` you read; a stale one on
 * save/delete is a 409 → DaprConflictError. Inside `transaction` daprd cannot tell a stale ETag from
 * any other store failure (500 `ERR_STATE_TRANSACTION`, §6), so re-read and retry there on any DaprError.
 */
import { parseJsonOr } from "../json.js";
import { type DaprHttp, JSON_CONTENT_TYPE, metadataQuery, segment } from "./http.js";

export type StateConcurrency = "first-write" | "last-write";
export type StateConsistency = "strong" | "eventual";

export interface StateItem<T = unknown> {
  key: string;
  value: T;
  /** The ETag read with the value; the store then only writes if it is still current. */
  etag?: string;
  concurrency?: StateConcurrency;
  consistency?: StateConsistency;
  /** Per-item metadata, e.g. `{ ttlInSeconds: "60" }`. */
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface StateOperation {
  operation: "upsert" | "delete";
  request: Omit<StateItem, "value"> & { value?: unknown };
}

export interface StateEntry<T> {
  value: T;
  /** "" when the store does not version its items. */
  etag: string;
}

interface Signal {
  signal?: AbortSignal;
}

export interface StateApi {
  /** The value and its ETag, or undefined when the key does not exist (daprd answers 204). */
  get<T = unknown>(
    store: string,
    key: string,
    options?: Signal & { consistency?: StateConsistency; metadata?: Record<string, string> },
  ): Promise<StateEntry<T> | undefined>;
  save(
    store: string,
    items: StateItem[],
    options?: Signal & { metadata?: Record<string, string> },
  ): Promise<void>;
  delete(
    store: string,
    key: string,
    options?: Signal & {
      etag?: string;
      concurrency?: StateConcurrency;
      consistency?: StateConsistency;
      metadata?: Record<string, string>;
    },
  ): Promise<void>;
  /** All operations commit or none does; `metadata` applies to the whole transaction (e.g. partitionKey). */
  transaction(
    store: string,
    operations: StateOperation[],
    metadata?: Record<string, string>,
    options?: Signal,
  ): Promise<void>;
}

export function createStateApi(http: DaprHttp): StateApi {
  const base = (store: string) => `/v1.0/state/${segment(store)}`;
  return {
    async get<T>(
      store: string,
      key: string,
      options?: Signal & { consistency?: StateConsistency; metadata?: Record<string, string> },
    ) {
      let query = options?.consistency === undefined ? "" : `?consistency=${options.consistency}`;
      query += metadataQuery(options?.metadata, query === "" ? "?" : "&");
      const path = `${base(store)}/${segment(key)}${query}`;
      const response = await http.send("state.get", "GET", path, { signal: options?.signal });
      if (response.status === 204) return undefined;
      // GET returns the stored bytes as they are; a JSON value comes back as JSON, anything else as text.
      return { value: parseJsonOr(response.text, response.text) as T, etag: response.headers.etag ?? "" };
    },

    async save(store, items, options) {
      await http.send("state.save", "POST", base(store) + metadataQuery(options?.metadata), {
        body: JSON.stringify(items.map(toRequest)),
        headers: http.headers(JSON_CONTENT_TYPE),
        signal: options?.signal,
      });
    },

    async delete(store, key, options = {}) {
      let query = "";
      if (options.concurrency !== undefined) query += `?concurrency=${options.concurrency}`;
      if (options.consistency !== undefined)
        query += `${query === "" ? "?" : "&"}consistency=${options.consistency}`;
      query += metadataQuery(options.metadata, query === "" ? "?" : "&");
      // daprd reads the delete ETag from If-Match, not from the query (§6 `extractEtag`).
      const headers =
        options.etag === undefined ? http.headers() : { ...http.headers(), "if-match": options.etag };
      await http.send("state.delete", "DELETE", `${base(store)}/${segment(key)}${query}`, {
        headers,
        signal: options.signal,
      });
    },

    async transaction(store, operations, metadata, options) {
      const body = {
        operations: operations.map(({ operation, request }) => ({ operation, request: toRequest(request) })),
        ...(metadata === undefined ? {} : { metadata }),
      };
      await http.send("state.transaction", "POST", `${base(store)}/transaction`, {
        body: JSON.stringify(body),
        headers: http.headers(JSON_CONTENT_TYPE),
        signal: options?.signal,
      });
    },
  };
}

// daprd's SetRequest nests concurrency/consistency under `options` (contrib: state/requests.go).
function toRequest(item: Omit<StateItem, "value"> & { value?: unknown }): Record<string, unknown> {
  const { concurrency, consistency, ...rest } = item;
  if (concurrency === undefined && consistency === undefined) return rest;
  return {
    ...rest,
    options: {
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(consistency === undefined ? {} : { consistency }),
    },
  };
}
