/**
 * The client against the local sidecar (runtime/dev-sidecar/sidecar.ts) over real HTTP on loopback: what
 * reaches the "broker", jobs, state concurrency, secrets, the API token, start-up waiting and faults.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/ports.js";
import { createCloudEvent } from "../cloudevent.js";
import { type LocalSidecar, startSidecar } from "../dev-sidecar/sidecar.js";
import { registerJobs } from "../jobs/register.js";
import { loadJobSpecs } from "../jobs/spec.js";
import { silentLogger } from "../log.js";
import { DaprClient, DaprConflictError, DaprError, DaprUnavailableError } from "./client.js";

const sidecars: LocalSidecar[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function sidecar(options: Parameters<typeof startSidecar>[0] = {}): Promise<LocalSidecar> {
  const started = await startSidecar({ log: silentLogger, ...options });
  sidecars.push(started);
  return started;
}

async function connected(options: Parameters<typeof startSidecar>[0] = {}) {
  const local = await sidecar(options);
  const client = new DaprClient({ baseUrl: local.url, apiToken: options.apiToken, timeoutMs: 2_000 });
  return { local, client };
}

const taskEvent = (id: string, taskId = "t1") =>
  createCloudEvent({ id, type: "taskbeat.task.completed.v1", subject: taskId, data: { taskId } });

const parsedId = (body: string) => (JSON.parse(body) as { id: string }).id;

describe("publish", () => {
  it("keeps our CloudEvent id and sends partitionKey as query metadata", async () => {
    const { local, client } = await connected();
    await client.publish("pubsub", "task-events", taskEvent("evt-1"), { partitionKey: "t1" });
    expect(local.published).toHaveLength(1);
    const [message] = local.published;
    expect(message).toMatchObject({ pubsub: "pubsub", topic: "task-events" });
    expect(parsedId(message?.body ?? "{}")).toBe("evt-1");
    expect(message?.metadata.partitionKey).toBe("t1");
  });

  it("rejects an unknown pubsub with 404 ERR_PUBSUB_NOT_FOUND", async () => {
    const { client } = await connected();
    await expect(client.publish("nope", "task-events", taskEvent("evt-1"))).rejects.toMatchObject({
      name: "DaprError",
      status: 404,
      errorCode: "ERR_PUBSUB_NOT_FOUND",
    });
  });

  it("reports a broker failure as DaprError 500", async () => {
    const { local, client } = await connected();
    local.faults.failNextPublishes(1);
    const error = await client.publish("pubsub", "task-events", taskEvent("evt-1")).catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error.status).toBe(500);
    await client.publish("pubsub", "task-events", taskEvent("evt-2"));
    expect(local.published.map((m) => parsedId(m.body))).toEqual(["evt-2"]);
  });
});

describe("publishBulk", () => {
  it("publishes every entry with its own id and partitionKey", async () => {
    const { local, client } = await connected();
    const result = await client.publishBulk("pubsub", "task-events", [
      { event: taskEvent("evt-1", "t1"), partitionKey: "t1" },
      { event: taskEvent("evt-2", "t2"), partitionKey: "t2" },
      { event: taskEvent("evt-3", "t3") },
    ]);
    expect(result).toEqual({ failed: [] });
    const byId = new Map(local.published.map((m) => [parsedId(m.body), m]));
    expect([...byId.keys()].sort()).toEqual(["evt-1", "evt-2", "evt-3"]);
    expect(byId.get("evt-1")?.metadata.partitionKey).toBe("t1");
    expect(byId.get("evt-2")?.metadata.partitionKey).toBe("t2");
    expect(byId.get("evt-3")?.metadata.partitionKey).toBeUndefined();
  });

  it("returns the entries the broker rejected instead of throwing", async () => {
    const { local, client } = await connected();
    local.faults.failNextPublishes(1);
    const ids = ["evt-1", "evt-2", "evt-3"];
    const { failed } = await client.publishBulk(
      "pubsub",
      "task-events",
      ids.map((id) => ({ event: taskEvent(id) })),
    );
    // The in-memory broker publishes entry by entry, so one failure costs exactly one entry.
    expect(failed).toEqual([{ entryId: "evt-1", error: "injected fault" }]);
    const failedIds = failed.map((entry) => entry.entryId);
    expect(local.published.map((m) => parsedId(m.body))).toEqual(["evt-2", "evt-3"]);

    // Re-publishing just the failed entries completes the batch.
    const retry = await client.publishBulk(
      "pubsub",
      "task-events",
      failedIds.map((id) => ({ event: taskEvent(id) })),
    );
    expect(retry).toEqual({ failed: [] });
    expect(local.published.map((m) => parsedId(m.body)).sort()).toEqual(ids);
  });

  it("throws for a whole-request error", async () => {
    const { client } = await connected();
    await expect(
      client.publishBulk("nope", "task-events", [{ event: taskEvent("evt-1") }]),
    ).rejects.toMatchObject({
      status: 404,
      errorCode: "ERR_PUBSUB_NOT_FOUND",
      operation: "publishBulk",
    });
  });
});

describe("jobs", () => {
  it("schedules idempotently with overwrite; GET reflects the latest spec", async () => {
    const { client } = await connected();
    await client.jobs.schedule("check-due-tasks", { schedule: "@every 1h", data: { batch: 1 } });
    await client.jobs.schedule("check-due-tasks", {
      schedule: "@every 2h",
      dueTime: "1h",
      data: { batch: 2 },
    });
    const job = await client.jobs.get("check-due-tasks");
    expect(job).toMatchObject({
      name: "check-due-tasks",
      schedule: "@every 2h",
      dueTime: "1h",
      data: { batch: 2 },
    });
  });

  it("answers 409 (DaprConflictError) when overwrite is false and the job exists", async () => {
    const { client } = await connected();
    await client.jobs.schedule("once", { dueTime: "1h" });
    await expect(client.jobs.schedule("once", { dueTime: "2h", overwrite: false })).rejects.toBeInstanceOf(
      DaprConflictError,
    );
  });

  it("returns undefined for a missing job and deletes idempotently", async () => {
    const { client } = await connected();
    expect(await client.jobs.get("never-scheduled")).toBeUndefined();
    await client.jobs.schedule("short-lived", { schedule: "@every 1h" });
    await client.jobs.delete("short-lived");
    await client.jobs.delete("short-lived");
    expect(await client.jobs.get("short-lived")).toBeUndefined();
  });

  it("registers the specs of a jobs directory", async () => {
    const { client } = await connected();
    const dir = await mkdtemp(join(tmpdir(), "taskbeat-jobs-"));
    dirs.push(dir);
    await writeFile(
      join(dir, "relay-outbox.json"),
      JSON.stringify({ schedule: "@every 1h", data: { batch: 100 } }),
    );
    await writeFile(
      join(dir, "check-due-tasks.json"),
      JSON.stringify({ schedule: "0 0 * * * *", dueTime: "1h", failurePolicy: { drop: {} } }),
    );
    const specs = await loadJobSpecs(dir);
    expect([...specs.keys()]).toEqual(["check-due-tasks", "relay-outbox"]);
    await registerJobs(client, ["relay-outbox", "check-due-tasks"], specs, silentLogger);
    await registerJobs(client, ["relay-outbox", "check-due-tasks"], specs, silentLogger); // a restart
    expect(await client.jobs.get("relay-outbox")).toMatchObject({
      schedule: "@every 1h",
      data: { batch: 100 },
    });
    expect(await client.jobs.get("check-due-tasks")).toMatchObject({
      schedule: "0 0 * * * *",
      failurePolicy: { drop: {} },
    });
  });
});

describe("state", () => {
  it("round-trips values with ETags and rejects a stale ETag with DaprConflictError", async () => {
    const { client } = await connected();
    expect(await client.state.get("statestore", "task:1")).toBeUndefined();
    await client.state.save("statestore", [{ key: "task:1", value: { title: "a" } }]);
    const first = await client.state.get<{ title: string }>("statestore", "task:1");
    expect(first?.value).toEqual({ title: "a" });
    expect(first?.etag).not.toBe("");

    // Another writer gets in first with the same ETag; ours is now stale.
    await client.state.save("statestore", [
      { key: "task:1", value: { title: "b" }, etag: first?.etag, concurrency: "first-write" },
    ]);
    const stale = client.state.save("statestore", [
      { key: "task:1", value: { title: "c" }, etag: first?.etag, concurrency: "first-write" },
    ]);
    await expect(stale).rejects.toBeInstanceOf(DaprConflictError);
    await expect(stale).rejects.toMatchObject({ status: 409, operation: "state.save" });
    expect((await client.state.get("statestore", "task:1"))?.value).toEqual({ title: "b" });

    await expect(client.state.delete("statestore", "task:1", { etag: first?.etag })).rejects.toBeInstanceOf(
      DaprConflictError,
    );
    const current = await client.state.get("statestore", "task:1");
    await client.state.delete("statestore", "task:1", { etag: current?.etag });
    expect(await client.state.get("statestore", "task:1")).toBeUndefined();
  });

  it("applies a transaction atomically; a stale ETag inside it is a 500, not a conflict", async () => {
    const { client } = await connected();
    await client.state.save("statestore", [
      { key: "a", value: 1 },
      { key: "c", value: 3 },
    ]);
    await client.state.transaction("statestore", [
      { operation: "upsert", request: { key: "a", value: 10 } },
      { operation: "upsert", request: { key: "b", value: 20 } },
      { operation: "delete", request: { key: "c" } },
    ]);
    expect((await client.state.get("statestore", "a"))?.value).toBe(10);
    expect((await client.state.get("statestore", "b"))?.value).toBe(20);
    expect(await client.state.get("statestore", "c")).toBeUndefined();

    const error = await client.state
      .transaction("statestore", [
        { operation: "upsert", request: { key: "a", value: 11 } },
        { operation: "upsert", request: { key: "b", value: 21, etag: "not-the-etag" } },
      ])
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error).not.toBeInstanceOf(DaprConflictError);
    expect(error).toMatchObject({ status: 500, errorCode: "ERR_STATE_TRANSACTION" });
    expect((await client.state.get("statestore", "a"))?.value).toBe(10);
  });
});

describe("secrets", () => {
  it("reads a secret's values, and an unknown store is a 401 ERR_SECRET_STORE_NOT_FOUND", async () => {
    const { client } = await connected({
      secretStores: { local: { smtp: { url: "smtp://mail:25", user: "u" } } },
    });
    expect(await client.secrets.get("local", "smtp")).toEqual({ url: "smtp://mail:25", user: "u" });
    await expect(client.secrets.get("vault", "smtp")).rejects.toMatchObject({
      status: 401,
      errorCode: "ERR_SECRET_STORE_NOT_FOUND",
    });
  });
});

describe("API token", () => {
  it("works with the sidecar's token and fails clearly without it", async () => {
    const local = await sidecar({ apiToken: "sidecar-token" });
    const withToken = new DaprClient({ baseUrl: local.url, apiToken: "sidecar-token" });
    await withToken.publish("pubsub", "task-events", taskEvent("evt-1"));
    expect(local.published).toHaveLength(1);

    const without = new DaprClient({ baseUrl: local.url });
    await without.waitForSidecar({ timeoutMs: 1_000 }); // healthz is exempt from the token
    const error = await without.publish("pubsub", "task-events", taskEvent("evt-2")).catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error.status).toBe(401);
    expect(error.message).toContain("invalid api token");
    expect(error.message).toContain("DAPR_API_TOKEN");

    const wrong = new DaprClient({ baseUrl: local.url, apiToken: "guess" });
    const wrongError = await wrong.jobs.get("x").catch((e) => e);
    expect(wrongError.status).toBe(401);
    expect(wrongError.message).not.toContain("guess");
    expect(local.published).toHaveLength(1);
  });
});

describe("availability", () => {
  it("waitForSidecar resolves once a sidecar starts on the port", async () => {
    const port = await freePort();
    const client = new DaprClient({ baseUrl: `http://127.0.0.1:${port}` });
    let resolved = false;
    const waiting = client.waitForSidecar({ timeoutMs: 10_000 }).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resolved).toBe(false);
    await sidecar({ port });
    await waiting;
    expect(await client.ping()).toBe(true);
  });

  it("waitForSidecar times out with an error naming the URL", async () => {
    const port = await freePort();
    const client = new DaprClient({ baseUrl: `http://127.0.0.1:${port}` });
    const started = Date.now();
    const error = await client.waitForSidecar({ timeoutMs: 400 }).catch((e) => e);
    expect(error).toBeInstanceOf(DaprUnavailableError);
    expect(error.message).toContain(`GET http://127.0.0.1:${port}/v1.0/healthz/outbound`);
    expect(error.message).toContain("within 400 ms");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("maps an unreachable sidecar to DaprUnavailableError, and recovers", async () => {
    const { local, client } = await connected();
    const outage = local.faults.unreachableFor(500);
    const error = await client.publish("pubsub", "task-events", taskEvent("evt-1")).catch((e) => e);
    expect(error).toBeInstanceOf(DaprUnavailableError);
    expect(error.status).toBe(0);
    expect(await client.ping()).toBe(false);
    await outage;
    await client.waitForSidecar({ timeoutMs: 5_000 });
    await client.publish("pubsub", "task-events", taskEvent("evt-2"));
    expect(local.published.map((m) => parsedId(m.body))).toEqual(["evt-2"]);
  });

  it("times out a slow sidecar as DaprUnavailableError", async () => {
    const local = await sidecar();
    local.faults.latencyMs = 1_000;
    const client = new DaprClient({ baseUrl: local.url, timeoutMs: 100 });
    const error = await client.publish("pubsub", "task-events", taskEvent("evt-1")).catch((e) => e);
    expect(error).toBeInstanceOf(DaprUnavailableError);
    expect(error.message).toContain("no answer within 100 ms");
  });
});
