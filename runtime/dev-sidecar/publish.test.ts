import { afterEach, describe, expect, it } from "vitest";
import { closeAll, cloudEvent, track } from "../../test/support/fixture-app.js";
import { silentLogger } from "../log.js";
import { type LocalSidecar, startSidecar } from "./sidecar.js";

afterEach(closeAll);

async function sidecar(options: Parameters<typeof startSidecar>[0] = {}): Promise<LocalSidecar> {
  return track(await startSidecar({ log: silentLogger, appId: "publisher", ...options }));
}

async function publish(
  s: LocalSidecar,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { "content-type": "application/cloudevents+json" },
  method = "POST",
) {
  return fetch(`${s.url}${path}`, { method, headers, body });
}

const lastBody = (s: LocalSidecar) =>
  JSON.parse(s.published.at(-1)?.body ?? "null") as Record<string, unknown>;
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

describe("publish: CloudEvents pass-through (§1.1 item 2)", () => {
  it("keeps our id and attributes, forces topic/pubsubname, answers 204", async () => {
    const s = await sidecar();
    const event = cloudEvent("evt-1", {
      subject: "task-1",
      time: "2030-01-01T00:00:00Z",
      topic: "wrong",
      myext: "x",
    });
    const res = await publish(s, "/v1.0/publish/pubsub/task-events", JSON.stringify(event));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(s.published).toHaveLength(1);
    expect(s.published[0]).toMatchObject({
      pubsub: "pubsub",
      topic: "task-events",
      contentType: "application/cloudevents+json",
      metadata: {},
    });
    const body = lastBody(s);
    expect(body).toMatchObject({
      id: "evt-1",
      type: "taskbeat.test.v1",
      source: "tests",
      subject: "task-1",
      time: "2030-01-01T00:00:00Z",
      topic: "task-events",
      pubsubname: "pubsub",
      datacontenttype: "application/json",
      data: { n: "evt-1" },
      myext: "x",
      tracestate: "",
    });
    // Go marshals maps with sorted keys.
    expect(Object.keys(body)).toEqual(Object.keys(body).sort());
  });

  it("adds only absent attributes and never invents an id", async () => {
    const s = await sidecar();
    await publish(s, "/v1.0/publish/pubsub/t", JSON.stringify({ data: 1, source: null }));
    const body = lastBody(s);
    expect(body.id).toBeUndefined();
    expect(body.datacontenttype).toBeUndefined();
    expect(body).toMatchObject({ type: "com.dapr.event.sent", specversion: "1.0", source: null, data: 1 });
    expect(body.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("overwrites traceparent with the publish span unless traceid is present", async () => {
    const s = await sidecar();
    const headers = { "content-type": "application/cloudevents+json", traceparent: TRACEPARENT };
    await publish(
      s,
      "/v1.0/publish/pubsub/t",
      JSON.stringify(cloudEvent("a", { traceparent: "00-mine" })),
      headers,
    );
    const first = lastBody(s);
    expect(first.traceparent).toBe(first.traceid);
    expect(first.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(first.traceparent).not.toBe(TRACEPARENT); // a child span of the caller's

    await publish(
      s,
      "/v1.0/publish/pubsub/t",
      JSON.stringify(cloudEvent("b", { traceid: "t", traceparent: "p" })),
      headers,
    );
    expect(lastBody(s)).toMatchObject({ traceid: "t", traceparent: "p" });
  });

  it("answers 500 ERR_PUBSUB_CLOUD_EVENTS_SER for a body that is not a JSON object, and stores nothing", async () => {
    const s = await sidecar();
    for (const body of ["{not json", "[1,2]"]) {
      const res = await publish(s, "/v1.0/publish/pubsub/t", body);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ errorCode: "ERR_PUBSUB_CLOUD_EVENTS_SER" });
    }
    expect(s.published).toEqual([]);
  });
});

describe("publish: daprd-built envelopes (§1.1 item 3)", () => {
  it("wraps application/json with a new uuid id and the parsed data", async () => {
    const s = await sidecar();
    await publish(s, "/v1.0/publish/pubsub/orders", '{"a":[1,2]}', { "content-type": "application/json" });
    const body = lastBody(s);
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body).toMatchObject({
      specversion: "1.0",
      datacontenttype: "application/json",
      source: "publisher",
      type: "com.dapr.event.sent",
      topic: "orders",
      pubsubname: "pubsub",
      data: { a: [1, 2] },
      tracestate: "",
    });
    expect(body.traceid).toBe(body.traceparent);
    expect(body.subject).toBeUndefined();
    expect(body.expiration).toBeUndefined();
  });

  it("keeps invalid JSON and other types as strings, octet-stream as data_base64", async () => {
    const s = await sidecar();
    await publish(s, "/v1.0/publish/pubsub/t", "{oops", { "content-type": "application/json" });
    expect(lastBody(s)).toMatchObject({ data: "{oops", datacontenttype: "application/json" });
    await publish(s, "/v1.0/publish/pubsub/t", '{"a":1}', { "content-type": "application/vnd.x+json" });
    expect(lastBody(s).data).toBe('{"a":1}');
    await publish(s, "/v1.0/publish/pubsub/t", Buffer.from("hello"), {});
    expect(lastBody(s)).toMatchObject({ data: "hello", datacontenttype: "text/plain" });
    await publish(s, "/v1.0/publish/pubsub/t", Buffer.from([0, 1, 255]), {
      "content-type": "application/octet-stream",
    });
    expect(lastBody(s)).toMatchObject({ data_base64: "AAH/", datacontenttype: "application/octet-stream" });
    expect(lastBody(s).data).toBeUndefined();
  });

  it("applies metadata.cloudevent.* overrides only when it builds the envelope", async () => {
    const s = await sidecar();
    const q = "?metadata.cloudevent.id=my-id&metadata.cloudevent.type=my.type&metadata.cloudevent.subject=s1";
    await publish(s, `/v1.0/publish/pubsub/t${q}`, '{"x":1}', { "content-type": "application/json" });
    expect(lastBody(s)).toMatchObject({ id: "my-id", type: "my.type", subject: "s1" });
    await publish(s, `/v1.0/publish/pubsub/t${q}`, JSON.stringify(cloudEvent("ours")));
    expect(lastBody(s)).toMatchObject({ id: "ours", type: "taskbeat.test.v1" });
    expect(lastBody(s).subject).toBeUndefined();
  });
});

describe("publish metadata", () => {
  it("takes metadata.* query parameters and never headers", async () => {
    const s = await sidecar();
    const headers = {
      "content-type": "application/cloudevents+json",
      "metadata.partitionKey": "from-header",
      "ce-partitionKey": "from-header",
    };
    await publish(
      s,
      "/v1.0/publish/pubsub/t?metadata.partitionKey=task-1&other=x",
      JSON.stringify(cloudEvent("a")),
      headers,
    );
    expect(s.published[0]?.metadata).toEqual({ partitionKey: "task-1" });
  });

  it("publishes rawPayload bytes as they are; rejects a bad rawPayload with 400", async () => {
    const s = await sidecar();
    const res = await publish(s, "/v1.0/publish/pubsub/t?metadata.rawPayload=true", "raw bytes", {
      "content-type": "text/plain",
    });
    expect(res.status).toBe(204);
    expect(s.published[0]).toMatchObject({
      body: "raw bytes",
      contentType: "text/plain",
      metadata: { rawPayload: "true" },
    });
    const bad = await publish(s, "/v1.0/publish/pubsub/t?metadata.rawPayload=yes", "x");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errorCode: "ERR_PUBSUB_REQUEST_METADATA" });
    expect(s.published).toHaveLength(1);
  });

  it("turns ttlInSeconds into an expiration", async () => {
    const s = await sidecar();
    const before = Math.floor(Date.now() / 1000) * 1000;
    await publish(s, "/v1.0/publish/pubsub/t?metadata.ttlInSeconds=60", JSON.stringify(cloudEvent("a")));
    const expiration = Date.parse(lastBody(s).expiration as string);
    expect(expiration - before).toBeGreaterThanOrEqual(60_000);
    expect(expiration - before).toBeLessThanOrEqual(61_000);
  });
});

describe("publish errors and routing", () => {
  it("404s unknown pubsubs and empty topics; keeps slashes in topics; accepts PUT", async () => {
    const s = await sidecar({ pubsubs: ["pubsub", "other"] });
    const unknown = await publish(s, "/v1.0/publish/nope/t", "{}");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      message: "pubsub nope is not found",
    });
    const empty = await publish(s, "/v1.0/publish/pubsub/", "{}");
    expect(empty.status).toBe(404);
    expect(await empty.json()).toMatchObject({ errorCode: "ERR_TOPIC_NAME_EMPTY" });
    expect((await publish(s, "/v1.0/publish/other/a/b", "{}", undefined, "PUT")).status).toBe(204);
    expect(s.published[0]).toMatchObject({ pubsub: "other", topic: "a/b" });
  });

  it("answers unknown paths and methods like daprd's invoke fallback: 404 ERR_DIRECT_INVOKE", async () => {
    const s = await sidecar();
    for (const [method, path] of [
      ["GET", "/v1.0/publish/pubsub/t"],
      ["POST", "/v1.0/nothing"],
      ["PUT", "/v1.0-alpha1/jobs/x"],
    ] as const) {
      const res = await fetch(`${s.url}${path}`, { method, ...(method === "GET" ? {} : { body: "{}" }) });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        errorCode: "ERR_DIRECT_INVOKE",
        message: "failed getting app id either from the URL path or the header dapr-app-id",
      });
    }
  });

  it("requires dapr-api-token on API calls but not on healthz", async () => {
    const s = await sidecar({ apiToken: "s3cret" });
    const denied = await publish(s, "/v1.0/publish/pubsub/t", "{}");
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe("invalid api token");
    const wrong = await publish(s, "/v1.0/publish/pubsub/t", "{}", { "dapr-api-token": "nope" });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${s.url}/v1.0/nothing`)).status).toBe(401);
    const ok = await publish(s, "/v1.0/publish/pubsub/t", "{}", {
      "content-type": "application/cloudevents+json",
      "dapr-api-token": "s3cret",
    });
    expect(ok.status).toBe(204);
    expect((await fetch(`${s.url}/v1.0/healthz`)).status).toBe(204);
    expect((await fetch(`${s.url}/v1.0/healthz/outbound`)).status).toBe(204);
    expect((await fetch(`${s.url}/v1.0/metadata`)).status).toBe(401);
  });
});

describe("bulk publish (§1.2)", () => {
  const bulk = (s: LocalSidecar, entries: unknown, query = "", version = "v1.0-alpha1") =>
    fetch(`${s.url}/${version}/publish/bulk/pubsub/task-events${query}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(entries),
    });

  it("wraps each entry per its contentType; query metadata reaches only entries with metadata", async () => {
    const s = await sidecar();
    const res = await bulk(
      s,
      [
        {
          entryId: "1",
          event: cloudEvent("evt-1"),
          contentType: "application/cloudevents+json",
          metadata: { partitionKey: "k1" },
        },
        { entryId: "2", event: { a: 1 }, contentType: "application/json", metadata: {} },
        { entryId: "3", event: "hi", contentType: "text/plain" },
        { entryId: "4", event: "AAH/", contentType: "application/octet-stream" },
      ],
      "?metadata.cloudevent.type=from.query",
    );
    expect(res.status).toBe(204);
    const bodies = s.published.map((m) => JSON.parse(m.body) as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ id: "evt-1", type: "taskbeat.test.v1" });
    expect(s.published[0]?.metadata).toEqual({ "cloudevent.type": "from.query", partitionKey: "k1" });
    expect(bodies[1]).toMatchObject({
      type: "from.query",
      data: { a: 1 },
      datacontenttype: "application/json",
    });
    expect(bodies[2]).toMatchObject({
      type: "com.dapr.event.sent",
      data: "hi",
      datacontenttype: "text/plain",
    });
    expect(s.published[2]?.metadata).toEqual({});
    expect(bodies[3]).toMatchObject({ data_base64: "AAH/" });
  });

  it("serves /v1.0/publish/bulk too, and rawPayload publishes the event bytes", async () => {
    const s = await sidecar();
    const entries = [{ entryId: "1", event: { a: 1 }, contentType: "application/json" }];
    expect((await bulk(s, entries, "?metadata.rawPayload=true", "v1.0")).status).toBe(204);
    expect(s.published[0]?.body).toBe('{"a":1}');
  });

  it.each([
    ["missing entryId", [{ event: 1, contentType: "application/json" }]],
    [
      "duplicate entryId",
      [
        { entryId: "1", event: 1, contentType: "application/json" },
        { entryId: "1", event: 2, contentType: "application/json" },
      ],
    ],
    ["text with a non-string event", [{ entryId: "1", event: { a: 1 }, contentType: "text/plain" }]],
    ["unknown contentType", [{ entryId: "1", event: "x", contentType: "image/png" }]],
    ["missing contentType", [{ entryId: "1", event: "x" }]],
    ["not an array", { entryId: "1" }],
  ])("400 ERR_PUBSUB_EVENTS_SER for %s", async (_name, entries) => {
    const s = await sidecar();
    const res = await bulk(s, entries);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errorCode: "ERR_PUBSUB_EVENTS_SER" });
    expect(s.published).toEqual([]);
  });

  it("publishes entry by entry: a broker failure fails only the entries it hit, and reports those", async () => {
    const s = await sidecar();
    s.faults.failNextPublishes(2);
    const entries = ["1", "2", "3"].map((entryId) => ({
      entryId,
      event: { n: entryId },
      contentType: "application/json",
    }));
    const res = await bulk(s, entries);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE",
      message: "error when publishing bulk: injected fault",
      failedEntries: [
        { entryId: "1", error: "injected fault" },
        { entryId: "2", error: "injected fault" },
      ],
    });
    expect(s.published.map((m) => JSON.parse(m.body).data)).toEqual([{ n: "3" }]);
    expect((await bulk(s, entries)).status).toBe(204);
    expect(s.published).toHaveLength(4);
  });
});
