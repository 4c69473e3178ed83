/**
 * Health and metadata (contract §7.2, §7.3). The two health endpoints differ on purpose: `outbound` is
 * ready as soon as the API listens, `healthz` only once the app port accepted a connection and its
 * subscriptions are loaded. An app that waits for `/v1.0/healthz` before listening deadlocks, as with daprd.
 */
import { ApiError, empty, json, type Route } from "./http.js";
import type { DiscoveredSubscription } from "./subscriptions.js";

export interface HealthDeps {
  appId: string;
  appUrl: string | undefined;
  pubsubs: readonly string[];
  stateStores: readonly string[];
  secretStores: readonly string[];
  isReady: () => boolean;
  subscriptions: () => DiscoveredSubscription[];
}

export function healthRoutes(deps: HealthDeps): Route[] {
  const extended: Record<string, string> = {};
  return [
    {
      methods: ["GET"],
      pattern: "/v1.0/healthz",
      tokenExempt: true,
      handler: (ctx) => {
        const appid = ctx.url.searchParams.get("appid");
        if (!deps.isReady() || (appid !== null && appid !== deps.appId)) {
          throw new ApiError(500, "ERR_HEALTH_NOT_READY", "dapr is not ready");
        }
        return empty();
      },
    },
    { methods: ["GET"], pattern: "/v1.0/healthz/outbound", tokenExempt: true, handler: () => empty() },
    {
      methods: ["GET"],
      pattern: "/v1.0/metadata",
      handler: () => {
        const component = (name: string, type: string, capabilities: string[]) => ({
          name,
          type,
          version: "v1",
          capabilities,
        });
        const app = deps.appUrl === undefined ? undefined : new URL(deps.appUrl);
        return json(200, {
          id: deps.appId,
          runtimeVersion: "local",
          enabledFeatures: [],
          components: [
            // Like daprd's in-memory pub/sub, no BULK_PUBLISH: bulk publishes go entry by entry (§1.2).
            ...deps.pubsubs.map((n) => component(n, "pubsub.in-memory", [])),
            ...deps.stateStores.map((n) => component(n, "state.in-memory", ["ETAG", "TRANSACTIONAL", "TTL"])),
            ...deps.secretStores.map((n) => component(n, "secretstores.local.env", [])),
          ],
          extended,
          subscriptions: deps.subscriptions().map((s) => ({
            pubsubname: s.pubsubname,
            topic: s.topic,
            metadata: s.metadata,
            rules: s.rules,
            ...(s.deadLetterTopic === undefined ? {} : { deadLetterTopic: s.deadLetterTopic }),
            type: "PROGRAMMATIC",
          })),
          ...(app === undefined
            ? {}
            : {
                appConnectionProperties: {
                  port: Number(app.port),
                  protocol: "http",
                  channelAddress: app.hostname,
                },
              }),
        });
      },
    },
    {
      methods: ["PUT"],
      pattern: "/v1.0/metadata/:key",
      handler: async (ctx) => {
        extended[ctx.params.key ?? ""] = (await ctx.body()).toString("utf8");
        return empty();
      },
    },
  ];
}
