import { describe, expect, it } from "vitest";
import { readEnvelope } from "./cloudevent.js";

const required = { id: "e1", type: "shop.order.created.v1", source: "checkout" };

describe("readEnvelope", () => {
  it("keeps the known string attributes and the data; absent attributes stay absent", () => {
    const read = readEnvelope({
      ...required,
      specversion: "1.0",
      subject: "order-1",
      time: "2026-11-26T10:00:00Z",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "",
      topic: "orders",
      pubsubname: "pubsub",
      datacontenttype: "application/json",
      traceid: "not kept: daprd's old name for traceparent",
      extension: "not kept either",
      data: { orderId: "o-1" },
    });
    expect(read).toEqual({
      ok: true,
      envelope: {
        ...required,
        specversion: "1.0",
        subject: "order-1",
        time: "2026-11-26T10:00:00Z",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: "",
        topic: "orders",
        pubsubname: "pubsub",
        datacontenttype: "application/json",
      },
      data: { orderId: "o-1" },
    });
    const minimal = readEnvelope({ ...required, subject: 7 });
    expect(minimal.ok && Object.keys(minimal.envelope)).toEqual(["id", "type", "source", "specversion"]);
    expect(minimal.ok && minimal.envelope.specversion).toBe("1.0");
  });

  it("names the first required attribute that is missing, empty or not a string", () => {
    expect(readEnvelope({ type: "t", source: "s" })).toEqual({
      ok: false,
      reason: 'CloudEvent attribute "id" is missing or not a string',
    });
    expect(readEnvelope({ id: "e", type: "", source: "s" })).toMatchObject({
      reason: expect.stringMatching(/"type"/),
    });
    expect(readEnvelope({ id: "e", type: "t", source: 1 })).toMatchObject({
      reason: expect.stringMatching(/"source"/),
    });
  });

  it("a body that is not a JSON object is not a CloudEvent", () => {
    for (const body of [undefined, null, "text", 3, [required]]) {
      expect(readEnvelope(body)).toEqual({ ok: false, reason: "delivery body is not a JSON object" });
    }
  });

  it("decodes data_base64, parsing it when it holds JSON", () => {
    const encoded = (text: string) => Buffer.from(text).toString("base64");
    expect(readEnvelope({ ...required, data_base64: encoded('{"n":1}') })).toMatchObject({ data: { n: 1 } });
    expect(readEnvelope({ ...required, data_base64: encoded("plain") })).toMatchObject({ data: "plain" });
    // `data` wins when both are present; neither means undefined data.
    expect(readEnvelope({ ...required, data: null, data_base64: encoded("x") })).toMatchObject({
      data: null,
    });
    expect(readEnvelope(required)).toMatchObject({ ok: true, data: undefined });
  });
});
