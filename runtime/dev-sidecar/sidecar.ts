/**
 * A local stand-in for daprd's HTTP API (docs/dapr-contract.md), used by `npm start` and as the
 * test double for daprd: publish and bulk publish, programmatic subscriptions with daprd's delivery,
 * retry and dead-letter semantics, bulk subscribe, jobs, state, secrets, health and metadata, plus
 * fault injection (see faults.ts) so idempotency and outages can be tested.
 *
 * Everything comes in as options; nothing is read from the environment.
 */
import { listenError } from "../listen-error.js";
import { createLogger, type Logger } from "../log.js";
import { AppChannel } from "./app-channel.js";
import { Broker, type PublishedMessage } from "./broker.js";
import { BulkConsumer } from "./bulk-consumer.js";
import { type ConsumerDeps, SingleConsumer } from "./consumer.js";
import { createDispatcher } from "./dispatch.js";
import { FaultState, type Faults, faultRoutes } from "./faults.js";
import { healthRoutes } from "./health.js";
import type { Route } from "./http.js";
import { DEFAULT_POLICY, type FailurePolicyJson, jobRoutes, parseFailurePolicy } from "./jobs-api.js";
import { BrokerJournal } from "./journal.js";
import { Listener } from "./listener.js";
import { publishRoutes } from "./publish.js";
import type { RetryPolicy } from "./retry.js";
import { JobScheduler } from "./scheduler.js";
import { type SecretStores, secretRoutes } from "./secrets.js";
import { stateRoutes } from "./state-api.js";
import type { DiscoveredSubscription } from "./subscriptions.js";
import { Tracker } from "./tracker.js";

export type { PublishedMessage } from "./broker.js";
export type { Faults } from "./faults.js";
export type { DiscoveredSubscription, RouteRule } from "./subscriptions.js";

export interface SidecarOptions {
  /** 0 or undefined: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "taskbeat". */
  appId?: string;
  /** The app channel, e.g. http://127.0.0.1:3000; undefined = no app (no deliveries, no jobs fired). */
  appUrl?: string;
  /** Like DAPR_API_TOKEN: required as `dapr-api-token` on every API call but the health endpoints. */
  apiToken?: string;
  /** Host names accepted in the `Host` header (DNS rebinding); default any. An `Origin` is always refused. */
  allowedHosts?: readonly string[];
  /** Like APP_API_TOKEN: sent as `dapr-api-token` on every call to the app. */
  appApiToken?: string;
  /** Pub/sub component names; default ["pubsub"]. */
  pubsubs?: string[];
  /** State store names; default ["statestore"]. */
  stateStores?: string[];
  /** store → secret name → key/values; default one empty store "local". */
  secretStores?: SecretStores;
  /** Inbound retry policy for deliveries; default 5 attempts, 100 ms doubling to 2 s. */
  retry?: RetryPolicy;
  /** Retries exhausted, no dead-letter topic: redeliver after this long, the partition waiting; default 5000. */
  redeliverAfterMs?: number;
  /**
   * Partitions per topic; default 8. Each subscription has one delivery (or bulk batch) in flight per
   * partition, and a message's record key (`metadata.partitionKey`) picks its partition, so
   * 1 = strict publish order.
   */
  concurrency?: number;
  /** Policy of jobs scheduled without one; default daprd's constant 1 s × 3 retries. */
  jobFailurePolicy?: FailurePolicyJson;
  /** Timeout of each call to the app; default 30000. */
  appTimeoutMs?: number;
  /**
   * A file that keeps accepted messages until every subscription settled them, so a crash loses none
   * (journal.ts); they are delivered again at the next start. Undefined: in memory only.
   */
  journalPath?: string;
  log?: Logger;
}

export interface LocalSidecar {
  readonly url: string;
  readonly port: number;
  readonly faults: Faults;
  /** The messages accepted by publish (dead-letter publishes included), in order: the last 10,000 at most. */
  readonly published: PublishedMessage[];
  /** Subscriptions discovered from the app. */
  subscriptions(): DiscoveredSubscription[];
  /**
   * Waits for the app port to accept connections, then reads `GET /dapr/subscribe` once and starts
   * delivering and firing jobs. Called by startSidecar when appUrl is set; idempotent.
   */
  ready(): Promise<void>;
  /** Resolves when no pub/sub message is queued, in flight, or waiting for a retry or redelivery. */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops timers, jobs and the server; app calls in flight are awaited (up to 5 s), retry waits are not. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5000;

export async function startSidecar(options: SidecarOptions = {}): Promise<LocalSidecar> {
  const appId = options.appId ?? "taskbeat";
  const log = (options.log ?? createLogger()).child({ component: "sidecar", appId });
  const pubsubs = options.pubsubs ?? ["pubsub"];
  const secretStores = options.secretStores ?? { local: {} };
  const closing = new AbortController();
  const tracker = new Tracker();
  const faults = new FaultState((ms) => listener.unreachableFor(ms));
  // Opened once the port is ours (below): the port is what keeps two sidecars off one journal.
  const broker = new Broker(tracker, () => (faults.duplicate ? 2 : 1), Math.max(1, options.concurrency ?? 8));
  const channel =
    options.appUrl === undefined
      ? undefined
      : new AppChannel({
          appUrl: options.appUrl,
          appId,
          appApiToken: options.appApiToken,
          timeoutMs: options.appTimeoutMs ?? 30_000,
          signal: closing.signal,
          log,
        });
  const scheduler = new JobScheduler(() => channel, log.child({ area: "jobs" }));
  let subscriptions: DiscoveredSubscription[] = [];
  let consumers: Array<SingleConsumer | BulkConsumer> = [];
  let isReady = false;
  let readyPromise: Promise<void> | undefined;
  let closePromise: Promise<void> | undefined;

  const routes: Route[] = [
    ...publishRoutes({ appId, pubsubs, broker, faults }),
    ...jobRoutes(scheduler, jobDefaultPolicy(options.jobFailurePolicy)),
    ...stateRoutes(appId, options.stateStores ?? ["statestore"]),
    ...secretRoutes(secretStores),
    ...healthRoutes({
      appId,
      appUrl: options.appUrl,
      pubsubs,
      stateStores: options.stateStores ?? ["statestore"],
      secretStores: Object.keys(secretStores),
      isReady: () => isReady,
      subscriptions: () => subscriptions,
    }),
    ...faultRoutes(faults, log),
  ];
  const listener: Listener = new Listener(
    createDispatcher({
      routes,
      apiToken: options.apiToken,
      allowedHosts: options.allowedHosts,
      latencyMs: () => faults.latencyMs,
      closeConnections: () => listener.down,
      log,
    }),
  );

  async function ready(): Promise<void> {
    if (!channel) return;
    await channel.waitForPort();
    subscriptions = await channel.discoverSubscriptions();
    for (const { pubsubname, topic } of subscriptions.filter((s) => !pubsubs.includes(s.pubsubname))) {
      log.warn("subscription names an unknown pubsub and is ignored", { pubsubname, topic });
    }
    const deps: ConsumerDeps = {
      channel,
      tracker,
      faults,
      retry: options.retry ?? { maxAttempts: 5, initialIntervalMs: 100, maxIntervalMs: 2000 },
      redeliverAfterMs: options.redeliverAfterMs ?? 5000,
      // Dead-lettering republishes the original bytes and metadata; the DLQ topic is an ordinary topic.
      settled: (m) => broker.settled(m),
      deadLetter: (m, topic) => {
        broker.publish({
          pubsub: m.pubsub,
          topic,
          body: m.body,
          metadata: m.metadata,
          contentType: m.contentType,
        });
        // Durable before the original is settled (and forgotten).
        broker.flush();
      },
      log,
    };
    consumers = subscriptions
      .filter((s) => pubsubs.includes(s.pubsubname))
      .map((s) => (s.bulkSubscribe?.enabled ? new BulkConsumer(s, deps) : new SingleConsumer(s, deps)));
    isReady = true;
    broker.attach(consumers);
    scheduler.start();
    log.info("app channel ready", { subscriptions: subscriptions.length });
  }

  const port = await listener
    .listen(options.port ?? 0, options.host ?? "127.0.0.1")
    .catch((error: unknown) => {
      throw listenError(
        error,
        "the local sidecar",
        options.host ?? "127.0.0.1",
        options.port ?? 0,
        "DAPR_HTTP_PORT",
      );
    });
  // Opened only once the port is ours, which keeps a second sidecar off the same journal; no request has
  // been read yet (this runs before the next I/O callback), so nothing was published without it.
  if (options.journalPath !== undefined) {
    const { journal, pending } = BrokerJournal.open(options.journalPath);
    broker.useJournal(journal, pending);
    if (pending.length > 0)
      log.info("undelivered messages recovered from the journal", { count: pending.length });
  }
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info("local sidecar listening", { url, appUrl: options.appUrl });

  const sidecar: LocalSidecar = {
    url,
    port,
    faults,
    published: broker.published,
    subscriptions: () => [...subscriptions],
    ready: () => (readyPromise ??= ready()),
    idle: (timeoutMs = 10_000) => tracker.idle(timeoutMs),
    close: () =>
      (closePromise ??= (async () => {
        // Consumers and the scheduler end their own retry waits first; `closing` would also cancel the app
        // calls in flight, so it is aborted only once those have finished or had their 5 s.
        await Promise.all([
          ...consumers.map((c) => c.close(CLOSE_GRACE_MS)),
          scheduler.close(CLOSE_GRACE_MS),
        ]);
        closing.abort();
        broker.discardBacklog();
        await listener.close();
        broker.closeJournal();
      })()),
  };
  // Without an app there is nothing to wait for: healthz is ready at once, as daprd without --app-port.
  if (!channel) isReady = true;
  else {
    sidecar.ready().catch((err) => {
      if (!closing.signal.aborted) log.error("app channel failed", { error: err });
    });
  }
  return sidecar;
}

function jobDefaultPolicy(json: FailurePolicyJson | undefined) {
  try {
    return parseFailurePolicy(json) ?? DEFAULT_POLICY;
  } catch (err) {
    throw new Error(`invalid jobFailurePolicy: ${(err as Error).message}`);
  }
}
