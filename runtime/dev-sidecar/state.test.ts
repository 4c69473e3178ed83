import { afterEach, describe, expect, it } from "vitest";
import { closeAll, track } from "../../test/support/fixture-app.js";
import { silentLogger } from "../log.js";
import { startSidecar } from "./sidecar.js";

afterEach(closeAll);

async function setup() {
  const s = track(await startSidecar({ log: silentLogger, appId: "app-a" }));
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/v1.0/state/statestore${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { s, call };
}

async function expectError(res: Response, status: number, errorCode: string) {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ errorCode });
}

describe("state (§6)", () => {
  it("saves, reads with an ETag, rejects stale etags with 409 and deletes with If-Match", async () => {
    const { call } = await setup();
    expect((await call("POST", "", [{ key: "k", value: { n: 1 } }])).status).toBe(204);
    const first = await call("GET", "/k");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/json");
    expect(await first.text()).toBe('{"n":1}');
    const etag1 = first.headers.get("etag") ?? "";
    expect(etag1).toMatch(/^[0-9a-f-]{36}$/);

    expect((await call("POST", "", [{ key: "k", value: { n: 2 }, etag: etag1 }])).status).toBe(204);
    const etag2 = (await call("GET", "/k")).headers.get("etag") ?? "";
    expect(etag2).not.toBe(etag1);
    await expectError(
      await call("POST", "", [{ key: "k", value: { n: 3 }, etag: etag1 }]),
      409,
      "ERR_STATE_SAVE",
    );
    expect(await (await call("GET", "/k")).text()).toBe('{"n":2}');

    await expectError(await call("DELETE", "/k", undefined, { "if-match": etag1 }), 409, "ERR_STATE_DELETE");
    expect((await call("DELETE", "/k", undefined, { "if-match": etag2 })).status).toBe(204);
    const gone = await call("GET", "/k");
    expect(gone.status).toBe(204);
    expect(await gone.text()).toBe("");
  });

  it("first-write inserts only; a multi-item save is all or nothing", async () => {
    const { call } = await setup();
    const firstWrite = { concurrency: "first-write" };
    expect((await call("POST", "", [{ key: "a", value: 1, options: firstWrite }])).status).toBe(204);
    await expectError(
      await call("POST", "", [{ key: "a", value: 2, options: firstWrite }]),
      500,
      "ERR_STATE_SAVE",
    );
    const etag = (await call("GET", "/a")).headers.get("etag");
    await expectError(
      await call("POST", "", [
        { key: "b", value: 1 },
        { key: "a", value: 3, etag: "stale" },
      ]),
      409,
      "ERR_STATE_SAVE",
    );
    expect((await call("GET", "/b")).status).toBe(204);
    expect((await call("GET", "/a")).headers.get("etag")).toBe(etag);
    await expectError(
      await call("POST", "", [{ key: "a", value: 1, options: { concurrency: "sometimes" } }]),
      500,
      "ERR_STATE_SAVE",
    );
  });

  it("transactions apply atomically; any failure, etag mismatch included, is 500 ERR_STATE_TRANSACTION", async () => {
    const { call } = await setup();
    await call("POST", "", [{ key: "keep", value: "v1" }]);
    const etag = (await call("GET", "/keep")).headers.get("etag") ?? "";
    const tx = (operations: unknown[]) => call("POST", "/transaction", { operations });
    await expectError(
      await tx([
        { operation: "upsert", request: { key: "new", value: 1 } },
        { operation: "delete", request: { key: "keep", etag: "not-the-etag" } },
      ]),
      500,
      "ERR_STATE_TRANSACTION",
    );
    expect((await call("GET", "/new")).status).toBe(204);
    expect(await (await call("GET", "/keep")).text()).toBe('"v1"');

    expect(
      (
        await tx([
          { operation: "upsert", request: { key: "new", value: 1 } },
          { operation: "delete", request: { key: "keep", etag } },
        ])
      ).status,
    ).toBe(204);
    expect(await (await call("GET", "/new")).text()).toBe("1");
    expect((await call("GET", "/keep")).status).toBe(204);
    await expectError(
      await tx([{ operation: "merge", request: { key: "x" } }]),
      400,
      "ERR_NOT_SUPPORTED_STATE_OPERATION",
    );
    expect((await tx([])).status).toBe(204);
  });

  it("bulk get returns data and etags, and keys without data for missing ones", async () => {
    const { call } = await setup();
    await call("POST", "", [{ key: "x", value: { a: 1 } }]);
    const res = await call("POST", "/bulk", { keys: ["x", "missing"], parallelism: 2 });
    expect(res.status).toBe(200);
    const items = (await res.json()) as Array<Record<string, unknown>>;
    expect(items).toEqual([{ key: "x", data: { a: 1 }, etag: expect.any(String) }, { key: "missing" }]);
  });

  it("validates keys and stores", async () => {
    const { s, call } = await setup();
    await expectError(await call("POST", "", [{ value: 1 }]), 400, "ERR_MALFORMED_REQUEST");
    await expectError(await call("POST", "", [{ key: "a||b", value: 1 }]), 400, "ERR_MALFORMED_REQUEST");
    const unknown = await fetch(`${s.url}/v1.0/state/nope/k`);
    await expectError(unknown, 400, "ERR_STATE_STORE_NOT_FOUND");
    expect((await call("POST", "", [])).status).toBe(204);
  });

  it("expires items saved with ttlInSeconds", async () => {
    const { call } = await setup();
    await call("POST", "", [{ key: "short", value: 1, metadata: { ttlInSeconds: "1" } }]);
    expect((await call("GET", "/short")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await call("GET", "/short")).status).toBe(204);
  });
});
