import { afterEach, describe, expect, it } from "vitest";
import { closeAll, harness, track } from "../../test/support/fixture-app.js";
import { freePort } from "../../test/support/ports.js";
import { silentLogger } from "../log.js";
import { startSidecar } from "./sidecar.js";

afterEach(closeAll);

describe("secrets (§7.1)", () => {
  const secretStores = { vault: { smtp: { user: "u", password: "p" }, empty: {} } };

  it("returns a secret's keys, all secrets in bulk, and daprd's odd error codes", async () => {
    const s = track(await startSidecar({ log: silentLogger, secretStores }));
    const get = (path: string) => fetch(`${s.url}/v1.0/secrets/${path}`);
    const one = await get("vault/smtp?metadata.namespace=x");
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ user: "u", password: "p" });
    expect((await get("vault/empty")).status).toBe(204);
    expect(await (await get("vault/bulk")).json()).toEqual(secretStores.vault);
    const unknownStore = await get("nope/smtp");
    expect(unknownStore.status).toBe(401);
    expect(await unknownStore.json()).toMatchObject({ errorCode: "ERR_SECRET_STORE_NOT_FOUND" });
    const missing = await get("vault/nope");
    expect(missing.status).toBe(500);
    expect(await missing.json()).toMatchObject({ errorCode: "ERR_SECRET_GET" });
  });

  it("has an empty store named local by default", async () => {
    const s = track(await startSidecar({ log: silentLogger }));
    expect(await (await fetch(`${s.url}/v1.0/secrets/local/bulk`)).json()).toEqual({});
  });
});

describe("health and metadata (§7.2, §7.3)", () => {
  it("healthz is ready only once the app is up; outbound as soon as the server listens", async () => {
    // An app URL where nothing listens: the app channel never comes up.
    const appUrl = `http://127.0.0.1:${await freePort()}`;
    const s = track(await startSidecar({ log: silentLogger, appUrl, apiToken: "t" }));
    const outbound = await fetch(`${s.url}/v1.0/healthz/outbound`);
    expect(outbound.status).toBe(204);
    const healthz = await fetch(`${s.url}/v1.0/healthz`);
    expect(healthz.status).toBe(500);
    expect(await healthz.json()).toEqual({ errorCode: "ERR_HEALTH_NOT_READY", message: "dapr is not ready" });
  });

  it("describes the app id, components and subscriptions", async () => {
    const subscriptions = [
      { pubsubname: "pubsub", topic: "orders", route: "orders", deadLetterTopic: "dlq" },
    ];
    const { sidecar } = await harness({ subscriptions }, { appId: "meta-app" });
    expect((await fetch(`${sidecar.url}/v1.0/healthz`)).status).toBe(204);
    expect((await fetch(`${sidecar.url}/v1.0/healthz?appid=other`)).status).toBe(500);
    const meta = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      id: "meta-app",
      runtimeVersion: "local",
      subscriptions: [
        {
          pubsubname: "pubsub",
          topic: "orders",
          metadata: {},
          rules: [{ match: "", path: "/orders" }],
          deadLetterTopic: "dlq",
          type: "PROGRAMMATIC",
        },
      ],
    });
    expect((meta.components as Array<{ name: string }>).map((c) => c.name)).toEqual([
      "pubsub",
      "statestore",
      "local",
    ]);
  });
});
