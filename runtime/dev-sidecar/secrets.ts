/**
 * The secrets API (contract §7.1) over stores given as plain data. Note daprd's odd status for an
 * unknown store: 401, not 404.
 */
import { ApiError, empty, json, type RequestContext, type Route } from "./http.js";

export type SecretStores = Record<string, Record<string, Record<string, string>>>;

export function secretRoutes(stores: SecretStores): Route[] {
  const storeOf = (ctx: RequestContext) => {
    if (Object.keys(stores).length === 0) {
      throw new ApiError(500, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured");
    }
    const name = ctx.params.store ?? "";
    const store = Object.hasOwn(stores, name) ? stores[name] : undefined;
    if (!store)
      throw new ApiError(401, "ERR_SECRET_STORE_NOT_FOUND", `failed finding secret store with key ${name}`);
    return { name, store };
  };
  return [
    {
      methods: ["GET"],
      pattern: "/v1.0/secrets/:store/bulk",
      handler: (ctx) => json(200, storeOf(ctx).store),
    },
    {
      methods: ["GET"],
      pattern: "/v1.0/secrets/:store/:key",
      handler: (ctx) => {
        const { name, store } = storeOf(ctx);
        const key = ctx.params.key ?? "";
        const secret = Object.hasOwn(store, key) ? store[key] : undefined;
        if (!secret) {
          throw new ApiError(
            500,
            "ERR_SECRET_GET",
            `failed getting secret with key ${key} from secret store ${name}: secret not found`,
          );
        }
        return Object.keys(secret).length === 0 ? empty() : json(200, secret);
      },
    },
  ];
}
