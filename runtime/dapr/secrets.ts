/**
 * Secrets API (contract §7.1). A secret is a map: `GET /v1.0/secrets/<store>/<key>` answers every
 * key of that secret (one for env/file stores, several for a Kubernetes Secret).
 */
import { type DaprHttp, metadataQuery, parseJsonBody, segment } from "./http.js";

export interface SecretsApi {
  /**
   * All values of one secret; `{}` when it holds none (daprd answers 204). An unknown store is a
   * DaprError with status 401 `ERR_SECRET_STORE_NOT_FOUND` (sic, §7.1), not 404.
   */
  get(
    store: string,
    key: string,
    options?: { metadata?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Record<string, string>>;
}

export function createSecretsApi(http: DaprHttp): SecretsApi {
  return {
    async get(store, key, options) {
      const path = `/v1.0/secrets/${segment(store)}/${segment(key)}${metadataQuery(options?.metadata)}`;
      const response = await http.send("secrets.get", "GET", path, { signal: options?.signal });
      if (response.status === 204 || response.text === "") return {};
      return parseJsonBody<Record<string, string>>("secrets.get", response.text);
    },
  };
}
