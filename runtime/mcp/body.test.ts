import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, readJsonBody } from "./body.js";

const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  new Request("http://localhost/mcp", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    // A stream body needs it (fetch's rule); a string one ignores it.
    duplex: "half",
  } as RequestInit);

const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: {} } };

describe("readJsonBody", () => {
  it("parses a JSON body of a declared length", async () => {
    const text = JSON.stringify(call);
    const read = await readJsonBody(post(text, { "content-length": String(Buffer.byteLength(text)) }));
    expect(read).toEqual({ parsedBody: call });
  });

  it("hands malformed JSON on as it came, for the SDK to answer", async () => {
    const read = await readJsonBody(post("{not json", { "content-length": "9" }));
    expect("request" in read && (await read.request.text())).toBe("{not json");
  });

  it("leaves a body without a length, or over the SDK's limit, to the SDK untouched", async () => {
    const stream = new Blob([JSON.stringify(call)]).stream();
    const chunked = post(stream);
    expect(await readJsonBody(chunked)).toEqual({ request: chunked });
    const huge = post("{}", { "content-length": String(MAX_BODY_BYTES + 1) });
    expect(await readJsonBody(huge)).toEqual({ request: huge });
  });
});
