import { afterEach, describe, expect, it, vi } from "vitest";
import {
  closeAll,
  type FixtureReply,
  harness,
  startFixtureApp,
  track,
} from "../../test/support/fixture-app.js";
import { freePort } from "../../test/support/ports.js";
import { silentLogger } from "../log.js";
import { type LocalSidecar, startSidecar } from "./sidecar.js";

afterEach(async () => {
  vi.useRealTimers();
  await closeAll();
});

const job = (s: LocalSidecar, name: string, method: string, body?: unknown, version = "v1.0-alpha1") =>
  fetch(`${s.url}/${version}/jobs/${name}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });

async function expectError(res: Response, status: number, errorCode: string) {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ errorCode });
}

describe("jobs API validation (§5.1)", () => {
  it.each<[string, unknown, number, string]>([
    ["a name in the body", { name: "x", schedule: "@every 1s" }, 400, "DAPR_SCHEDULER_JOB_NAME"],
    ["negative repeats", { schedule: "test", repeats: -1 }, 400, "ERR_MALFORMED_REQUEST"],
    ["repeats of the wrong type", { schedule: "@every 1s", repeats: "many" }, 400, "ERR_MALFORMED_REQUEST"],
    ["a non-string schedule", { schedule: 5 }, 400, "ERR_MALFORMED_REQUEST"],
    ["invalid JSON", "{", 400, "ERR_MALFORMED_REQUEST"],
    [
      "a bad failure policy interval",
      { dueTime: "1s", failurePolicy: { constant: { interval: "1m" } } },
      400,
      "ERR_MALFORMED_REQUEST",
    ],
    ["no schedule nor dueTime", { data: {} }, 400, "DAPR_SCHEDULER_SCHEDULE_EMPTY"],
    ["an invalid schedule", { schedule: "every minute" }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    ["a 5-field cron", { schedule: "*/5 * * * *" }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    ["repeats 0", { schedule: "@every 1s", repeats: 0 }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    ["repeats without a schedule", { dueTime: "1s", repeats: 2 }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    ["ttl without a schedule", { dueTime: "1s", ttl: "1h" }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    ["an invalid dueTime", { dueTime: "soon" }, 500, "DAPR_SCHEDULER_SCHEDULE_JOB"],
    [
      "ttl before dueTime",
      { schedule: "@every 1s", dueTime: "2030-01-02T00:00:00Z", ttl: "2030-01-01T00:00:00Z" },
      500,
      "DAPR_SCHEDULER_SCHEDULE_JOB",
    ],
  ])("rejects %s", async (_name, body, status, code) => {
    const s = track(await startSidecar({ log: silentLogger }));
    await expectError(await job(s, "j", "POST", body), status, code);
    await expectError(await job(s, "j", "GET"), 500, "DAPR_SCHEDULER_GET_JOB");
  });

  it("409s an existing job without overwrite, replaces it with overwrite: true", async () => {
    const s = track(await startSidecar({ log: silentLogger }));
    expect(
      (await job(s, "check-due-tasks", "POST", { schedule: "@every 5s", dueTime: "0s", data: {} }, "v1.0"))
        .status,
    ).toBe(204);
    await expectError(
      await job(s, "check-due-tasks", "POST", { schedule: "@every 10s" }),
      409,
      "DAPR_SCHEDULER_SCHEDULE_JOB",
    );
    const replace = { schedule: "@every 10s", data: { a: 1 }, overwrite: true, repeats: 3, ttl: "1h" };
    expect((await job(s, "check-due-tasks", "POST", replace)).status).toBe(204);
    const got = await job(s, "check-due-tasks", "GET");
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({
      name: "check-due-tasks",
      schedule: "@every 10s",
      repeats: 3,
      ttl: "1h",
      data: { "@type": "type.googleapis.com/google.protobuf.Value", value: { a: 1 } },
      failurePolicy: { constant: { interval: "1s", maxRetries: 3 } },
      overwrite: true,
    });
  });

  it("deletes with 204, also when the job does not exist; accepts snake_case fields", async () => {
    const s = track(await startSidecar({ log: silentLogger }));
    expect((await job(s, "x", "POST", { due_time: "1h", failure_policy: { drop: {} } })).status).toBe(204);
    expect(await (await job(s, "x", "GET")).json()).toEqual({
      name: "x",
      dueTime: "1h",
      failurePolicy: { drop: {} },
    });
    expect((await job(s, "x", "DELETE")).status).toBe(204);
    expect((await job(s, "x", "DELETE")).status).toBe(204);
    await expectError(await job(s, "x", "GET"), 500, "DAPR_SCHEDULER_GET_JOB");
  });
});

describe("job triggers (§5.3)", () => {
  it("fires @every 1s at POST /job/<name> with the data as the body", async () => {
    const { app, sidecar } = await harness({}, { appApiToken: "app-token" });
    // The scheduler's clock is faked from here: two seconds pass at once; the HTTP calls stay real.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    expect(
      (await job(sidecar, "tick", "POST", { schedule: "@every 1s", data: { hello: "world" } })).status,
    ).toBe(204);
    // One call per period of the scheduler's clock: each second passing brings exactly one more.
    await vi.advanceTimersByTimeAsync(1_000);
    await app.waitFor((r) => r.length >= 1);
    expect(app.received).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    const received = await app.waitFor((r) => r.length >= 2);
    expect(received).toHaveLength(2);
    vi.useRealTimers();
    for (const r of received.slice(0, 2)) {
      expect(r.method).toBe("POST");
      expect(r.path).toBe("/job/tick");
      expect(r.body).toBe('{"hello":"world"}');
      expect(r.headers).toMatchObject({ "content-type": "application/json", "dapr-api-token": "app-token" });
    }
  });

  it("stops after repeats, then the job is gone; sends an empty body without data", async () => {
    const { app, sidecar } = await harness();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    await job(sidecar, "twice", "POST", { schedule: "@every 100ms", repeats: 2 });
    await vi.advanceTimersByTimeAsync(1_000);
    await app.waitFor((r) => r.length >= 2);
    // Three more periods pass: nothing more comes.
    await vi.advanceTimersByTimeAsync(300);
    vi.useRealTimers();
    expect(app.received.map((r) => r.body)).toEqual(["", ""]);
    await expectError(await job(sidecar, "twice", "GET"), 500, "DAPR_SCHEDULER_GET_JOB");
  });

  it.each<[string, number, unknown, FixtureReply]>([
    ["constant 50 ms × 2 retries", 3, { constant: { interval: "0.05s", maxRetries: 2 } }, { status: 500 }],
    ["drop", 1, { drop: {} }, { status: 500 }],
    ["404 counts as done", 1, { constant: { interval: "0.05s", maxRetries: 2 } }, { status: 404 }],
    ["2xx is done", 1, { constant: { interval: "0.05s" } }, { status: 204 }],
    [
      "a connection error is a failure",
      2,
      { constant: { interval: "0.05s", maxRetries: 1 } },
      { destroy: true },
    ],
  ])("failure policy: %s → %d call(s)", async (_name, calls, failurePolicy, reply) => {
    const { app, sidecar } = await harness({ respond: () => reply });
    await job(sidecar, "once", "POST", { dueTime: "0s", data: "x", failurePolicy });
    await app.waitFor((r) => r.length >= calls);
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for an unexpected extra call
    expect(app.received.map((r) => r.body)).toEqual(Array(calls).fill('"x"'));
  });

  it("applies the sidecar's jobFailurePolicy to jobs scheduled without one", async () => {
    const { app, sidecar } = await harness(
      { respond: () => ({ status: 500 }) },
      { jobFailurePolicy: { constant: { interval: "0.05s", maxRetries: 1 } } },
    );
    await job(sidecar, "defaulted", "POST", { dueTime: "1h" });
    expect(await (await job(sidecar, "defaulted", "GET")).json()).toMatchObject({
      failurePolicy: { constant: { interval: "0.05s", maxRetries: 1 } },
    });
    await job(sidecar, "defaulted", "POST", { dueTime: "0s", overwrite: true });
    await app.waitFor((r) => r.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(app.received).toHaveLength(2);
    await expect(
      startSidecar({ log: silentLogger, jobFailurePolicy: { constant: { interval: "1m" } } }),
    ).rejects.toThrow(/invalid jobFailurePolicy/);
  });

  it("retries forever with constant and no maxRetries until the app succeeds", async () => {
    let n = 0;
    const { app, sidecar } = await harness({ respond: () => ({ status: ++n < 5 ? 503 : 200 }) });
    await job(sidecar, "stubborn", "POST", {
      dueTime: "0s",
      failurePolicy: { constant: { interval: "0.02s" } },
    });
    await app.waitFor((r) => r.length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.received).toHaveLength(5);
  });

  it("holds triggers until the app port is up, then collapses the missed ones into one", async () => {
    const port = await freePort();
    const sidecar = track(await startSidecar({ appUrl: `http://127.0.0.1:${port}`, log: silentLogger }));
    // Due 10 s ago every 100 ms: about 100 triggers are already missed.
    const dueTime = new Date(Date.now() - 10_000).toISOString();
    expect((await job(sidecar, "early", "POST", { schedule: "@every 100ms", dueTime })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const app = track(await startFixtureApp({ port }));
    await sidecar.ready();
    const [first] = await app.waitFor((r) => r.length >= 1);
    expect(first?.path).toBe("/job/early");
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One staged trigger now, then at most the next one on schedule (≤ 100 ms later).
    expect(app.received.length).toBeLessThanOrEqual(2);
  });
});
