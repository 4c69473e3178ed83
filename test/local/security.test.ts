/**
 * Local mode must not hand a web page the keys (issue 15 §4), checked on a running `taskbeat start`
 * with real HTTP requests and real database connections: the sidecar's secret store serves only
 * TASKBEAT_HOME/secrets.json, never the environment; requests carrying a foreign Origin or Host are
 * refused by the sidecar and by the app's Dapr-facing routes, which also want the generated token pair;
 * the embedded database wants the generated password, which is kept 0600.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import type { Spawned } from "../support/process.js";
import { removeTempDirs, startProcess, tempDir } from "./_local.js";

let home = "";
let start: Spawned | undefined;
const ports = { app: 0, sidecar: 0 };
let credentials: { dbUser: string; dbPassword: string; daprApiToken: string; appApiToken: string };
let databaseUrl = "";

beforeAll(async () => {
  home = await tempDir("taskbeat-sec-");
  writeFileSync(join(home, "secrets.json"), JSON.stringify({ GREETING: "hello" }));
  ports.app = await freePort();
  ports.sidecar = await freePort();
  start = startProcess({
    TASKBEAT_HOME: home,
    PORT: String(ports.app),
    DAPR_HTTP_PORT: String(ports.sidecar),
    SMTP_URL: "smtp://mailer:hunter2@127.0.0.1:2525",
    MAIL_FROM: "taskbeat <reminders@example.com>",
    LOG_LEVEL: "warn",
  });
  await start.waitFor(/^ {2}try /, 90_000);
  credentials = JSON.parse(readFileSync(join(home, "credentials.json"), "utf8"));
  databaseUrl = (JSON.parse(readFileSync(join(home, "database.json"), "utf8")) as { url: string }).url;
}, 120_000);

afterAll(async () => {
  start?.child.kill("SIGTERM");
  await start?.exited;
  await removeTempDirs();
});

/** A raw request, so Host can be set the way a DNS-rebound page sends it. */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const simple = { "content-type": "text/plain" };

describe("the local sidecar", () => {
  it("serves the declared secrets only, never the environment", async () => {
    const token = { "dapr-api-token": credentials.daprApiToken };
    const env = await send(ports.sidecar, "/v1.0/secrets/env/bulk", { headers: token });
    expect(env.status).toBe(401);
    expect(env.body).not.toContain("hunter2");
    const local = await send(ports.sidecar, "/v1.0/secrets/local/bulk", { headers: token });
    expect(local.status).toBe(200);
    expect(JSON.parse(local.body)).toEqual({ GREETING: { GREETING: "hello" } });
    const smtp = await send(ports.sidecar, "/v1.0/secrets/local/SMTP_URL", { headers: token });
    expect(smtp.status).toBe(500);
    expect(smtp.body).not.toContain("hunter2");
  });

  it("refuses a web page: a foreign Origin, a foreign Host, or no token", async () => {
    const token = { "dapr-api-token": credentials.daprApiToken };
    for (const [path, body] of [
      ["/v1.0-dev/faults", '{"failNextPublishes":1}'],
      ["/v1.0/publish/pubsub/task-completed", '{"x":1}'],
      ["/v1.0-alpha1/jobs/evil", '{"schedule":"@every 1s"}'],
    ] as const) {
      const origin = await send(ports.sidecar, path, {
        method: "POST",
        headers: { ...simple, ...token, origin: "http://evil.example" },
        body,
      });
      expect(origin.status, path).toBe(403);
      const rebound = await send(ports.sidecar, path, {
        method: "POST",
        headers: { ...simple, ...token, host: `evil.example:${ports.sidecar}` },
        body,
      });
      expect(rebound.status, path).toBe(403);
      const noToken = await send(ports.sidecar, path, { method: "POST", headers: simple, body });
      expect(noToken.status, path).toBe(401);
    }
    // Its own clients still get through.
    const healthy = await send(ports.sidecar, "/v1.0/healthz", {
      headers: { host: `localhost:${ports.sidecar}` },
    });
    expect(healthy.status).toBe(204);
  });
});

describe("the app's Dapr-facing routes", () => {
  it("refuse a foreign Origin and a call without the generated app token", async () => {
    const token = { "dapr-api-token": credentials.appApiToken };
    for (const path of ["/job/check-due-tasks", "/dapr/subscribe"]) {
      const method = path.startsWith("/job") ? "POST" : "GET";
      const origin = await send(ports.app, path, {
        method,
        headers: { ...simple, ...token, origin: "http://evil.example" },
        body: method === "POST" ? "{}" : undefined,
      });
      expect(origin.status, path).toBe(403);
      const noToken = await send(ports.app, path, {
        method,
        headers: { ...simple, host: `evil.example:${ports.app}` },
        body: method === "POST" ? "{}" : undefined,
      });
      expect(noToken.status, path).toBe(401);
    }
    expect((await send(ports.app, "/dapr/subscribe", { headers: token })).status).toBe(200);
  });
});

describe("the embedded database", () => {
  it("wants the generated password, kept 0600", async () => {
    expect(statSync(join(home, "credentials.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "database.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "run")).mode & 0o777).toBe(0o700);
    const url = new URL(databaseUrl);
    for (const [user, password] of [
      [credentials.dbUser, "wrong"],
      ["postgres", ""],
      ["postgres", credentials.dbPassword],
    ]) {
      const wrong = postgres({
        host: "127.0.0.1",
        port: Number(url.port),
        user,
        password,
        database: "postgres",
        max: 1,
        connect_timeout: 5,
        onnotice: () => {},
      });
      await expect(wrong`select 1`).rejects.toMatchObject({ code: "28P01" });
      await wrong.end();
    }
    const right = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      expect(await right`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await right.end();
    }
  });
});
