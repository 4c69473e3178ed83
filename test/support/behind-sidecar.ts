/**
 * An app served on loopback with the local sidecar in front of it, as daprd would sit: the sidecar
 * discovers its subscriptions, delivers with fast retries (so retry-then-dead-letter fits in a test),
 * and a client publishes through it.
 */
import type { Hono } from "hono";
import { DaprClient } from "../../runtime/dapr/client.js";
import { type LocalSidecar, startSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { silentLogger } from "../../runtime/log.js";
import { type Served, serveApp } from "./http.js";

export const FAST_DELIVERY_RETRY = { maxAttempts: 3, initialIntervalMs: 10, maxIntervalMs: 40 };

export interface BehindSidecar {
  served: Served;
  sidecar: LocalSidecar;
  client: DaprClient;
  close(): Promise<void>;
}

export async function behindSidecar(app: Hono, appId: string): Promise<BehindSidecar> {
  const served = await serveApp(app);
  const sidecar = await startSidecar({
    appUrl: served.url,
    appId,
    log: silentLogger,
    retry: FAST_DELIVERY_RETRY,
  });
  await sidecar.ready();
  return {
    served,
    sidecar,
    client: new DaprClient({ baseUrl: sidecar.url, log: silentLogger }),
    async close() {
      await sidecar.close();
      await served.close();
    },
  };
}
