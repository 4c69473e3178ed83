/**
 * Test support for the local sidecar (`runtime/dev-sidecar`): a tiny app on loopback that serves `/dapr/subscribe`,
 * records every request the sidecar makes, and answers as the test decides. Waiting is event-driven
 * (`waitFor`), so tests never sleep for longer than the behaviour takes.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type LocalSidecar, type SidecarOptions, startSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { silentLogger } from "../../runtime/log.js";

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export interface FixtureReply {
  status?: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Close the connection without an answer (a transport error for the sidecar). */
  destroy?: boolean;
}

export type Responder = (req: Received) => FixtureReply | Promise<FixtureReply>;

export interface FixtureApp {
  url: string;
  port: number;
  /** Every request except GET /dapr/subscribe. */
  received: Received[];
  subscribeCalls: Received[];
  respond: Responder;
  /** Resolves with `received` once `predicate` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** The /dapr/subscribe answer: a value to send as JSON, or a status such as 404. */
  subscriptions?: unknown[] | { status: number; body?: string };
  respond?: Responder;
  port?: number;
}

export async function startFixtureApp(options: FixtureOptions = {}): Promise<FixtureApp> {
  const waiters = new Set<() => void>();
  const app: FixtureApp = {
    url: "",
    port: 0,
    received: [],
    subscribeCalls: [],
    respond: options.respond ?? (() => ({ status: 200, body: { status: "SUCCESS" } })),
    waitFor(predicate, timeoutMs = 5000) {
      if (predicate(app.received)) return Promise.resolve(app.received);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(app.received)) return;
          cleanup();
          resolve(app.received);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `fixture app: condition not met after ${timeoutMs} ms (${app.received.length} requests)`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const received: Received = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      at: Date.now(),
    };
    if (received.method === "GET" && received.path === "/dapr/subscribe") {
      app.subscribeCalls.push(received);
      const subs = options.subscriptions ?? [];
      if (Array.isArray(subs)) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(subs));
      } else res.writeHead(subs.status).end(subs.body ?? "");
      return;
    }
    app.received.push(received);
    for (const check of [...waiters]) check();
    const reply = await app.respond(received);
    if (reply.destroy) {
      res.socket?.destroy();
      return;
    }
    const body =
      reply.body === undefined || typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    res
      .writeHead(reply.status ?? 200, body === undefined ? {} : { "content-type": "application/json" })
      .end(body);
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  app.port = (server.address() as AddressInfo).port;
  app.url = `http://127.0.0.1:${app.port}`;
  return app;
}

/** The parsed JSON body of a request. */
export const bodyOf = <T = Record<string, unknown>>(r: Received): T => JSON.parse(r.body) as T;

// --- Harness: a sidecar in front of a fixture app, closed by closeAll() --------------------------------

const open: Array<{ close(): Promise<void> }> = [];

/** Fast retries so delivery tests take milliseconds: 3 attempts, 10 ms doubling. */
export const FAST_RETRY = { maxAttempts: 3, initialIntervalMs: 10, maxIntervalMs: 40 };

export interface Harness {
  app: FixtureApp;
  sidecar: LocalSidecar;
  /** POST /v1.0/publish/pubsub/{topic}{query} with a JSON CloudEvent unless told otherwise. */
  publish(
    topic: string,
    body: unknown,
    init?: { contentType?: string; query?: string; headers?: Record<string, string> },
  ): Promise<Response>;
}

export async function harness(
  fixture: FixtureOptions = {},
  sidecarOptions: SidecarOptions = {},
): Promise<Harness> {
  const app = await startFixtureApp(fixture);
  open.push(app);
  const sidecar = await startSidecar({
    appUrl: app.url,
    log: silentLogger,
    retry: FAST_RETRY,
    redeliverAfterMs: 100,
    ...sidecarOptions,
  });
  open.push(sidecar);
  await sidecar.ready();
  return {
    app,
    sidecar,
    publish: (topic, body, init = {}) =>
      fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}${init.query ?? ""}`, {
        method: "POST",
        headers: { "content-type": init.contentType ?? "application/cloudevents+json", ...init.headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
  };
}

/** Registers something for closeAll(). */
export function track<T extends { close(): Promise<void> }>(resource: T): T {
  open.push(resource);
  return resource;
}

export async function closeAll(): Promise<void> {
  // Sidecars before apps, so in-flight deliveries finish against a live app.
  for (const resource of open.splice(0).reverse()) await resource.close();
}

export const cloudEvent = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: "1.0",
  id,
  type: "taskbeat.test.v1",
  source: "tests",
  datacontenttype: "application/json",
  data: { n: id },
  ...extra,
});
