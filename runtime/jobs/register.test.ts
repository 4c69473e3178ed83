/**
 * Retry and error behaviour of job registration against a scripted daprd on loopback; registration
 * against the local sidecar is in runtime/dapr/sidecar.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/ports.js";
import { DaprClient, DaprError, DaprUnavailableError, type JobSpec } from "../dapr/client.js";
import { silentLogger } from "../log.js";
import { registerJobs } from "./register.js";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/**
 * daprd holding the `existing` jobs: GET answers them (data wrapped as protojson Any, §5.1) or 500
 * DAPR_SCHEDULER_GET_JOB; POSTs answer the scripted statuses in order (then 204). Records each POST
 * as `METHOD url body`.
 */
async function scriptedDaprd(
  statuses: number[],
  existing: Record<string, Record<string, unknown>> = {},
): Promise<{ client: DaprClient; calls: string[] }> {
  const calls: string[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      if (req.method === "GET") {
        const job = existing[(req.url ?? "").split("/").pop() ?? ""];
        const answer = job
          ? {
              status: 200,
              body: {
                ...job,
                data: { "@type": "type.googleapis.com/google.protobuf.Value", value: job.data },
              },
            }
          : { status: 500, body: { errorCode: "DAPR_SCHEDULER_GET_JOB", message: "job not found" } };
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(JSON.stringify(answer.body));
        return;
      }
      calls.push(`${req.method} ${req.url} ${body}`);
      const status = statuses.shift() ?? 204;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(status === 204 ? undefined : JSON.stringify({ errorCode: `E${status}`, message: "scripted" }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { client: new DaprClient({ baseUrl: `http://127.0.0.1:${port}` }), calls };
}

const specs = new Map<string, JobSpec>([
  ["check-due-tasks", { schedule: "@every 5s", dueTime: "0s", data: {} }],
  ["relay-outbox", { schedule: "@every 10s" }],
]);
const fast = { backoffMs: 5 };

describe("registerJobs", () => {
  it("schedules each missing job with overwrite true", async () => {
    const { client, calls } = await scriptedDaprd([]);
    await registerJobs(client, ["relay-outbox", "check-due-tasks"], specs, silentLogger, fast);
    expect(calls).toEqual([
      'POST /v1.0/jobs/relay-outbox {"schedule":"@every 10s","overwrite":true}',
      'POST /v1.0/jobs/check-due-tasks {"schedule":"@every 5s","dueTime":"0s","data":{},"overwrite":true}',
    ]);
  });

  it("leaves a job alone when the scheduler already holds the same spec (a restart keeps its phase)", async () => {
    const { client, calls } = await scriptedDaprd([], {
      // Key order differs from the spec file's; that is not a change.
      "check-due-tasks": { name: "check-due-tasks", data: {}, dueTime: "0s", schedule: "@every 5s" },
    });
    await registerJobs(client, ["check-due-tasks"], specs, silentLogger, fast);
    expect(calls).toEqual([]);
  });

  it("rewrites a job whose spec changed", async () => {
    const { client, calls } = await scriptedDaprd([], {
      "relay-outbox": { name: "relay-outbox", schedule: "@every 30s" },
    });
    await registerJobs(client, ["relay-outbox"], specs, silentLogger, fast);
    expect(calls).toEqual(['POST /v1.0/jobs/relay-outbox {"schedule":"@every 10s","overwrite":true}']);
  });

  it("fails before scheduling anything when a job has no spec", async () => {
    const { client, calls } = await scriptedDaprd([]);
    await expect(
      registerJobs(client, ["check-due-tasks", "send-digest"], specs, silentLogger, fast),
    ).rejects.toThrow('no job spec for "send-digest": add send-digest.json to the jobs directory (JOBS_DIR)');
    expect(calls).toEqual([]);
  });

  it("retries 5xx with backoff and then succeeds", async () => {
    const { client, calls } = await scriptedDaprd([503, 500]);
    await registerJobs(client, ["relay-outbox"], specs, silentLogger, fast);
    expect(calls).toHaveLength(3);
  });

  it("gives up after the last attempt and throws the sidecar's error", async () => {
    const { client, calls } = await scriptedDaprd([500, 500, 500]);
    const error = await registerJobs(client, ["relay-outbox"], specs, silentLogger, {
      ...fast,
      attempts: 3,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DaprError);
    expect(error.message).toContain("POST /v1.0/jobs/relay-outbox answered 500 E500");
    expect(calls).toHaveLength(3);
  });

  it("does not retry a 4xx", async () => {
    const { client, calls } = await scriptedDaprd([400]);
    await expect(registerJobs(client, ["relay-outbox"], specs, silentLogger, fast)).rejects.toMatchObject({
      status: 400,
    });
    expect(calls).toHaveLength(1);
  });

  it("retries an unreachable sidecar, then throws DaprUnavailableError", async () => {
    const client = new DaprClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const started = Date.now();
    await expect(
      registerJobs(client, ["relay-outbox"], specs, silentLogger, { attempts: 3, backoffMs: 20 }),
    ).rejects.toBeInstanceOf(DaprUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55); // 20 + 40 ms of backoff
  });
});
