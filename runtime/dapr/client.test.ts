/**
 * The client against a scripted daprd on loopback: exact request shapes (paths, query metadata,
 * headers, bodies) and the mapping of daprd's answers (contract §0) to errors. The behaviour against
 * the local sidecar is covered in sidecar.test.ts.
 */
import { getEventListeners } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/ports.js";
import { createCloudEvent } from "../cloudevent.js";
import { loadConfig } from "../config.js";
import {
  createDaprClient,
  DaprClient,
  DaprConflictError,
  DaprError,
  DaprUnavailableError,
} from "./client.js";

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

interface FakeDaprd {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A daprd that answers every request with `answer(request)`. */
async function fakeDaprd(answer: (request: Recorded) => Answer): Promise<FakeDaprd> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(recorded);
      const reply = answer(recorded);
      setTimeout(() => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      }, reply.delayMs ?? 0);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const json = (status: number, body: unknown): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { "content-type": "application/json" },
});
const noContent: Answer = { status: 204 };
const event = createCloudEvent({ id: "evt-1", type: "taskbeat.task.completed.v1", data: { taskId: "t1" } });

describe("requests", () => {
  it("publishes a structured CloudEvent with partitionKey and metadata in the query and the token header", async () => {
    const daprd = await fakeDaprd(() => noContent);
    const client = new DaprClient({ baseUrl: `${daprd.url}/`, apiToken: "s3cret" });
    await client.publish("pub sub", "task/events", event, {
      partitionKey: "t 1",
      metadata: { ttlInSeconds: "60" },
    });

    const [request] = daprd.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(
      "/v1.0/publish/pub%20sub/task%2Fevents?metadata.partitionKey=t%201&metadata.ttlInSeconds=60",
    );
    expect(request?.headers["content-type"]).toBe("application/cloudevents+json");
    expect(request?.headers["dapr-api-token"]).toBe("s3cret");
    expect(JSON.parse(request?.body ?? "")).toEqual(event);
  });

  it("sends no token header and no query when there is nothing to send", async () => {
    const daprd = await fakeDaprd(() => noContent);
    await new DaprClient({ baseUrl: daprd.url }).publish("pubsub", "t", event);
    expect(daprd.requests[0]?.url).toBe("/v1.0/publish/pubsub/t");
    expect(daprd.requests[0]?.headers).not.toHaveProperty("dapr-api-token");
  });

  it("gives every bulk entry its own metadata, because daprd merges query metadata only into those", async () => {
    const daprd = await fakeDaprd(() => noContent);
    const client = new DaprClient({ baseUrl: daprd.url });
    const second = { ...event, id: "evt-2" };
    const result = await client.publishBulk(
      "pubsub",
      "task-events",
      [
        { event, partitionKey: "t1" },
        { event: second, entryId: "custom" },
      ],
      { metadata: { ttlInSeconds: "60" } },
    );
    expect(result).toEqual({ failed: [] });
    const [request] = daprd.requests;
    expect(request?.url).toBe("/v1.0/publish/bulk/pubsub/task-events?metadata.ttlInSeconds=60");
    expect(JSON.parse(request?.body ?? "")).toEqual([
      {
        entryId: "evt-1",
        event,
        contentType: "application/cloudevents+json",
        metadata: { ttlInSeconds: "60", partitionKey: "t1" },
      },
      {
        entryId: "custom",
        event: second,
        contentType: "application/cloudevents+json",
        metadata: { ttlInSeconds: "60" },
      },
    ]);
  });

  it("schedules a job by POST with the name only in the URL and overwrite true by default", async () => {
    const daprd = await fakeDaprd(() => noContent);
    const client = new DaprClient({ baseUrl: daprd.url });
    await client.jobs.schedule("check-due-tasks", { schedule: "@every 5s", dueTime: "0s", data: {} });
    await client.jobs.schedule("once", { dueTime: "10s", overwrite: false });
    expect(daprd.requests.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      [
        "POST",
        "/v1.0/jobs/check-due-tasks",
        { schedule: "@every 5s", dueTime: "0s", data: {}, overwrite: true },
      ],
      ["POST", "/v1.0/jobs/once", { dueTime: "10s", overwrite: false }],
    ]);
  });

  it("unwraps job data from its protobuf Any envelope", async () => {
    const daprd = await fakeDaprd(() =>
      json(200, {
        name: "relay",
        schedule: "@every 5s",
        repeats: 3,
        data: { "@type": "type.googleapis.com/google.protobuf.Value", value: { batch: 100 } },
      }),
    );
    const job = await new DaprClient({ baseUrl: daprd.url }).jobs.get("relay");
    expect(job).toEqual({ name: "relay", schedule: "@every 5s", repeats: 3, data: { batch: 100 } });
  });

  it("nests state options, sends the delete ETag as If-Match and wraps transactions", async () => {
    const daprd = await fakeDaprd(() => noContent);
    const client = new DaprClient({ baseUrl: daprd.url });
    await client.state.save("statestore", [
      { key: "a", value: { n: 1 }, etag: "3", concurrency: "first-write" },
      { key: "b", value: "x" },
    ]);
    await client.state.delete("statestore", "a/b", { etag: "4", concurrency: "first-write" });
    await client.state.transaction(
      "statestore",
      [
        { operation: "upsert", request: { key: "a", value: 2 } },
        { operation: "delete", request: { key: "b", etag: "7" } },
      ],
      { partitionKey: "p" },
    );
    const [save, del, tx] = daprd.requests;
    expect(save?.url).toBe("/v1.0/state/statestore");
    expect(JSON.parse(save?.body ?? "")).toEqual([
      { key: "a", value: { n: 1 }, etag: "3", options: { concurrency: "first-write" } },
      { key: "b", value: "x" },
    ]);
    expect(del?.method).toBe("DELETE");
    expect(del?.url).toBe("/v1.0/state/statestore/a%2Fb?concurrency=first-write");
    expect(del?.headers["if-match"]).toBe("4");
    expect(tx?.url).toBe("/v1.0/state/statestore/transaction");
    expect(JSON.parse(tx?.body ?? "")).toEqual({
      operations: [
        { operation: "upsert", request: { key: "a", value: 2 } },
        { operation: "delete", request: { key: "b", etag: "7" } },
      ],
      metadata: { partitionKey: "p" },
    });
  });

  it("reads state values with their ETag, and 204 as missing", async () => {
    const daprd = await fakeDaprd((r) =>
      r.url.endsWith("/missing") ? noContent : { status: 200, body: '{"n":1}', headers: { etag: "9" } },
    );
    const client = new DaprClient({ baseUrl: daprd.url });
    expect(await client.state.get("statestore", "k")).toEqual({ value: { n: 1 }, etag: "9" });
    expect(await client.state.get("statestore", "missing")).toBeUndefined();
  });

  it("builds the base URL from configuration", () => {
    const config = loadConfig({ DAPR_HOST: "::1", DAPR_HTTP_PORT: "3600", DAPR_API_TOKEN: "t" });
    expect(createDaprClient(config).baseUrl).toBe("http://[::1]:3600");
    expect(createDaprClient(loadConfig({})).baseUrl).toBe("http://127.0.0.1:3500");
  });
});

describe("errors", () => {
  it("parses daprd's JSON error into status, errorCode, details and a precise message", async () => {
    const details = [
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "DAPR_PUBSUB_NOT_FOUND" },
    ];
    const daprd = await fakeDaprd(() =>
      json(404, { errorCode: "ERR_PUBSUB_NOT_FOUND", message: "pubsub nope not found", details }),
    );
    const error = await new DaprClient({ baseUrl: daprd.url }).publish("nope", "t", event).catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error).toMatchObject({
      status: 404,
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      details,
      operation: "publish",
    });
    expect(error.message).toBe(
      "dapr publish failed: POST /v1.0/publish/nope/t answered 404 ERR_PUBSUB_NOT_FOUND: pubsub nope not found",
    );
  });

  it("explains the plain-text 401 and never puts the token in the message", async () => {
    // A sidecar that echoes the header back must still not leak it through our error.
    const daprd = await fakeDaprd((r) => ({
      status: 401,
      body: `invalid api token ${r.headers["dapr-api-token"]}`,
    }));
    const error = await new DaprClient({ baseUrl: daprd.url, apiToken: "wrong-token" })
      .publish("pubsub", "t", event)
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error.status).toBe(401);
    expect(error.message).toContain("answered 401: invalid api token");
    expect(error.message).toContain("DAPR_API_TOKEN");
    expect(error.message).not.toContain("wrong-token");
  });

  it("maps 409 to DaprConflictError", async () => {
    const daprd = await fakeDaprd(() =>
      json(409, { errorCode: "ERR_STATE_SAVE", message: "possible etag mismatch" }),
    );
    const error = await new DaprClient({ baseUrl: daprd.url }).state
      .save("statestore", [{ key: "k", value: 1, etag: "1" }])
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaprConflictError);
    expect(error).toMatchObject({ status: 409, errorCode: "ERR_STATE_SAVE", operation: "state.save" });
  });

  it("maps connection refused to DaprUnavailableError with status 0", async () => {
    const port = await freePort();
    const error = await new DaprClient({ baseUrl: `http://127.0.0.1:${port}` })
      .publish("pubsub", "t", event)
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaprUnavailableError);
    expect(error.status).toBe(0);
    expect(error.message).toBe(
      `dapr publish failed: POST /v1.0/publish/pubsub/t at http://127.0.0.1:${port}: sidecar unreachable (ECONNREFUSED)`,
    );
  });

  it("retries once on a new connection when a reused keep-alive socket turns out to be closed", async () => {
    const served = new WeakSet<object>();
    const daprd = await fakeDaprd(() => noContent);
    const server = servers.at(-1);
    // Close every socket on its second request, as a sidecar closing an idle connection would.
    server?.prependListener("request", (req) => {
      if (served.has(req.socket)) req.socket.destroy();
      served.add(req.socket);
    });
    const client = new DaprClient({ baseUrl: daprd.url });
    await client.publish("pubsub", "t", event);
    await client.publish("pubsub", "t", event);
    await client.publish("pubsub", "t", event);
    expect(daprd.requests.length).toBeGreaterThanOrEqual(3);
  });

  it("adds one abort listener per caller signal however many requests share it", async () => {
    const daprd = await fakeDaprd(() => ({ ...noContent, delayMs: 20 }));
    const client = new DaprClient({ baseUrl: daprd.url });
    const shutdown = new AbortController().signal;
    await Promise.all(
      Array.from({ length: 50 }, () => client.publish("pubsub", "t", event, { signal: shutdown })),
    );
    expect(getEventListeners(shutdown, "abort")).toHaveLength(1);
  });

  it("times out a stalled request as DaprUnavailableError", async () => {
    const daprd = await fakeDaprd(() => ({ ...noContent, delayMs: 2_000 }));
    const started = Date.now();
    const error = await new DaprClient({ baseUrl: daprd.url, timeoutMs: 100 })
      .publish("pubsub", "t", event)
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaprUnavailableError);
    expect(error.message).toContain("no answer within 100 ms");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("rethrows the caller's abort reason, not a Dapr error", async () => {
    const daprd = await fakeDaprd(() => ({ ...noContent, delayMs: 2_000 }));
    const controller = new AbortController();
    const reason = new Error("shutting down");
    setTimeout(() => controller.abort(reason), 50);
    const client = new DaprClient({ baseUrl: daprd.url });
    await expect(client.publish("pubsub", "t", event, { signal: controller.signal })).rejects.toBe(reason);
    await expect(client.publish("pubsub", "t", event, { signal: controller.signal })).rejects.toBe(reason);
  });

  it("reports bulk entries that failed and throws for whole-request errors", async () => {
    let status = 500;
    const daprd = await fakeDaprd(() =>
      status === 500
        ? json(500, {
            failedEntries: [{ entryId: "evt-2", error: "broker down" }],
            errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE",
          })
        : json(404, { errorCode: "ERR_PUBSUB_NOT_FOUND", message: "pubsub nope not found" }),
    );
    const client = new DaprClient({ baseUrl: daprd.url });
    const entries = [{ event }, { event: { ...event, id: "evt-2" } }];
    expect(await client.publishBulk("pubsub", "t", entries)).toEqual({
      failed: [{ entryId: "evt-2", error: "broker down" }],
    });
    status = 404;
    await expect(client.publishBulk("nope", "t", entries)).rejects.toMatchObject({
      status: 404,
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      operation: "publishBulk",
    });
  });

  it("maps daprd's 500 SCHEDULER_GET_JOB for a missing job to undefined, but not a scheduler outage", async () => {
    let message = "failed to get job due to: job not found: app||default||app||nope";
    let errorCode = "DAPR_SCHEDULER_GET_JOB";
    const daprd = await fakeDaprd(() => json(500, { errorCode, message }));
    const client = new DaprClient({ baseUrl: daprd.url });
    expect(await client.jobs.get("nope")).toBeUndefined();
    errorCode = "SCHEDULER_GET_JOB"; // before daprd prefixed its reasons with DAPR_
    expect(await client.jobs.get("nope")).toBeUndefined();
    message = "failed to get job due to: rpc error: code = Unavailable desc = connection refused";
    await expect(client.jobs.get("nope")).rejects.toMatchObject({ status: 500, errorCode });
  });
});

describe("sidecar health", () => {
  it("waits on /v1.0/healthz/outbound until it answers 204", async () => {
    let calls = 0;
    const daprd = await fakeDaprd(() =>
      ++calls < 3 ? json(500, { errorCode: "ERR_HEALTH_NOT_READY" }) : noContent,
    );
    await new DaprClient({ baseUrl: daprd.url }).waitForSidecar({ timeoutMs: 5_000 });
    expect(daprd.requests.map((r) => `${r.method} ${r.url}`)).toEqual(
      Array(3).fill("GET /v1.0/healthz/outbound"),
    );
  });

  it("pings true on 204, false on an error answer and false when unreachable", async () => {
    let ready = true;
    const daprd = await fakeDaprd(() =>
      ready ? noContent : json(500, { errorCode: "ERR_HEALTH_NOT_READY" }),
    );
    expect(await new DaprClient({ baseUrl: daprd.url }).ping()).toBe(true);
    ready = false;
    expect(await new DaprClient({ baseUrl: daprd.url }).ping()).toBe(false);
    expect(await new DaprClient({ baseUrl: `http://127.0.0.1:${await freePort()}` }).ping()).toBe(false);
  });

  it("gives up waiting with the caller's abort reason", async () => {
    const client = new DaprClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const reason = new Error("stop");
    const wait = client.waitForSidecar({ timeoutMs: 10_000, signal: AbortSignal.timeout(200) });
    await expect(wait).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(client.waitForSidecar({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
