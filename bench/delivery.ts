/**
 * Delivery throughput: what daprd sends (a CloudEvent, or a bulk of 10) POSTed by autocannon in its own
 * process to three servers, each in its own process: the taskbeat router (no-op handler), a bare Hono
 * route doing the same JSON parse, and `@dapr/dapr`'s DaprServer. Within a run the servers take turns
 * in one-second slices, so each run's ratios compare servers measured moments apart; medians are over
 * runs. Before measuring, each server must answer SUCCESS for every event of both bodies.
 */
import { autocannon, type Child, cpuMs, freePort, median, rssMb, startServer } from "./lib/proc.js";

export interface DeliveryOptions {
  runs: number;
  seconds: number;
  connections: number;
  warmupSeconds: number;
}

export interface DeliveryResult {
  /** Median deliveries/s per server and shape. */
  rps: Record<string, number>;
  /** Median of per-run ratios. */
  ratios: Record<string, number>;
  /**
   * Median CPU time (µs, user + system) of each server process per request, by server and shape. Unlike
   * requests/s it hardly depends on what else runs on the machine, so it backs the ratios up on a busy one.
   */
  cpuUsPerRequest: Record<string, number>;
  /** Median of per-run CPU-per-request ratios, the other server's over taskbeat's (as `ratios`: higher is better). */
  cpuRatios: Record<string, number>;
  /** Highest RSS (MB) of the taskbeat router process while under load. */
  taskbeatRssUnderLoadMb: number;
  taskbeatRssIdleMb: number;
  failures: number;
  daprServer: string;
}

const event = (n: number) => ({
  specversion: "1.0",
  id: `5d3b5a9e-0c1f-4a57-9a0b-${String(n).padStart(12, "0")}`,
  source: "taskbeat",
  type: "taskbeat.bench.v1",
  datacontenttype: "application/json",
  subject: `task-${n}`,
  time: "2026-11-26T10:00:00Z",
  topic: "noop",
  pubsubname: "pubsub",
  traceid: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  tracestate: "",
  data: { taskId: `task-${n}`, userId: "user-1", remindAt: "2026-11-26T10:00:00Z" },
});

export const SINGLE_BODY = JSON.stringify(event(1));

/** The broker metadata daprd adds per Kafka message (contract §3.1, §4): headers, or a bulk entry's `metadata`. */
const kafkaMetadata = (topic: string, n: number) => ({
  partitionKey: "user-1",
  __key: "user-1",
  __topic: topic,
  __partition: "0",
  __offset: String(1000 + n),
  __timestamp: "1795687200000",
  pubsubName: "pubsub",
});

const BULK_SIZE = 10;

// As daprd sends a Kafka batch (contract §4): entry ids "0", "1", … and each entry's broker metadata.
export const BULK_BODY = JSON.stringify({
  id: "b0a3a1f2-1111-4c3b-9a0b-000000000001",
  type: "com.dapr.event.sent.bulk",
  topic: "noop-bulk",
  pubsubname: "pubsub",
  metadata: { pubsubName: "pubsub" },
  entries: Array.from({ length: BULK_SIZE }, (_, i) => ({
    entryId: String(i),
    event: { ...event(i), topic: "noop-bulk" },
    metadata: kafkaMetadata("noop-bulk", i),
    contentType: "application/cloudevents+json",
  })),
});

type Shape = "single" | "bulk";

const BODY: Record<Shape, string> = { single: SINGLE_BODY, bulk: BULK_BODY };

/**
 * The headers daprd sends with each shape (contract §3.1, §4): a single delivery carries the message's
 * broker metadata as headers, a bulk one carries it per entry; both carry `traceparent` (tracing is on by
 * default). The sanity check sends them; autocannon (bench/lib/proc.ts) sends only the content type.
 */
export const DAPRD_HEADERS: Record<Shape, Record<string, string>> = {
  single: {
    "content-type": "application/cloudevents+json",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
    ...Object.fromEntries(Object.entries(kafkaMetadata("noop", 1)).map(([k, v]) => [k.toLowerCase(), v])),
  },
  bulk: {
    "content-type": "application/json",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
    pubsubname: "pubsub",
  },
};

interface Target {
  name: string;
  pid: number;
  url: (shape: Shape) => string;
}

/**
 * Deliveries a server did not answer SUCCESS for, out of one request of `shape`. A server that drops or
 * retries the bench's events would be measured doing less than the others, so this counts as failures.
 */
async function unhandled(target: Target, shape: Shape): Promise<number> {
  const expected = shape === "single" ? 1 : BULK_SIZE;
  try {
    const response = await fetch(target.url(shape), {
      method: "POST",
      headers: DAPRD_HEADERS[shape],
      body: BODY[shape],
    });
    const answer = (await response.json()) as { status?: string; statuses?: { status?: string }[] };
    if (!response.ok) return expected;
    if (shape === "single") return answer.status === "SUCCESS" ? 0 : 1;
    const succeeded = (answer.statuses ?? []).filter((s) => s.status === "SUCCESS").length;
    return expected - succeeded;
  } catch {
    return expected;
  }
}

export async function benchDelivery(options: DeliveryOptions): Promise<DeliveryResult> {
  const ports = { taskbeat: await freePort(), bare: await freePort(), dapr: await freePort() };
  const sidecarPort = await freePort();
  const children: Child[] = [];
  let daprServer = "started";
  try {
    const taskbeat = await startServer("taskbeat", ports.taskbeat);
    children.push(taskbeat);
    const bare = await startServer("bare", ports.bare);
    children.push(bare);
    const targets: Target[] = [
      {
        name: "taskbeat",
        pid: taskbeat.pid,
        url: (s) =>
          `http://127.0.0.1:${ports.taskbeat}/events/bench/${s === "single" ? "noop" : "noop-bulk"}`,
      },
      {
        name: "bare",
        pid: bare.pid,
        url: (s) => `http://127.0.0.1:${ports.bare}/bare/${s === "single" ? "noop" : "noop-bulk"}`,
      },
    ];
    try {
      const dapr = await startServer("dapr", ports.dapr, [String(sidecarPort)]);
      children.push(dapr);
      targets.push({
        name: "dapr",
        pid: dapr.pid,
        url: (s) =>
          `http://127.0.0.1:${ports.dapr}/pubsub--${s === "single" ? "noop" : "noop-bulk"}--default`,
      });
    } catch (error) {
      daprServer = `did not start: ${(error as Error).message}`;
    }
    const taskbeatRssIdleMb = rssMb(taskbeat.pid);

    const samples: Record<string, number[]> = {};
    const ratioSamples: Record<string, number[]> = {};
    const cpuSamples: Record<string, number[]> = {};
    const cpuRatioSamples: Record<string, number[]> = {};
    const add = (into: Record<string, number[]>, key: string, value: number) => {
      const list = into[key] ?? [];
      list.push(value);
      into[key] = list;
    };
    let failures = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(taskbeat.pid) || 0);
    }, 100);
    try {
      for (const shape of ["single", "bulk"] as const) {
        for (const target of targets) {
          failures += await unhandled(target, shape);
          if (options.warmupSeconds > 0) {
            await autocannon(target.url(shape), BODY[shape], {
              connections: options.connections,
              seconds: options.warmupSeconds,
            });
          }
        }
        for (let run = 0; run < options.runs; run++) {
          // A run gives every server `seconds` one-second slices, taken in turn and in a rotating order:
          // other load on the machine comes and goes within seconds, and this way it hits every server
          // alike, instead of whichever one it happened to be measuring (and no server always runs right
          // after a slower one, meeting its leftovers: closing sockets, GC).
          const requests: Record<string, number> = {};
          const cpu: Record<string, number> = {};
          for (let slice = 0; slice < options.seconds; slice++) {
            const turn = run * options.seconds + slice;
            const order = targets.map((_, i) => targets[(i + turn) % targets.length] as Target);
            for (const target of order) {
              const cpuBefore = cpuMs(target.pid);
              const result = await autocannon(target.url(shape), BODY[shape], {
                connections: options.connections,
                seconds: 1,
              });
              cpu[target.name] = (cpu[target.name] ?? 0) + cpuMs(target.pid) - cpuBefore;
              failures += result.errors + result.non2xx;
              requests[target.name] = (requests[target.name] ?? 0) + result.requests;
            }
          }
          const perRun: Record<string, number> = {};
          const cpuPerRequest: Record<string, number> = {};
          for (const target of targets) {
            perRun[target.name] = (requests[target.name] ?? 0) / options.seconds;
            add(samples, `${target.name}.${shape}`, perRun[target.name] as number);
            cpuPerRequest[target.name] = ((cpu[target.name] ?? 0) * 1000) / (requests[target.name] ?? 0);
            add(cpuSamples, `${target.name}.${shape}`, cpuPerRequest[target.name] as number);
          }
          const tbCpu = cpuPerRequest.taskbeat ?? Number.NaN;
          add(cpuRatioSamples, `taskbeat/bare.${shape}`, (cpuPerRequest.bare ?? Number.NaN) / tbCpu);
          if (cpuPerRequest.dapr !== undefined) {
            add(cpuRatioSamples, `taskbeat/dapr.${shape}`, cpuPerRequest.dapr / tbCpu);
          }
          const tb = perRun.taskbeat ?? Number.NaN;
          add(ratioSamples, `taskbeat/bare.${shape}`, tb / (perRun.bare ?? Number.NaN));
          if (perRun.dapr !== undefined) add(ratioSamples, `taskbeat/dapr.${shape}`, tb / perRun.dapr);
        }
      }
    } finally {
      clearInterval(sampler);
    }
    const medians = (all: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(all).map(([k, v]) => [k, median(v)]));
    return {
      rps: medians(samples),
      ratios: medians(ratioSamples),
      cpuUsPerRequest: medians(cpuSamples),
      cpuRatios: medians(cpuRatioSamples),
      taskbeatRssUnderLoadMb: peakRss,
      taskbeatRssIdleMb,
      failures,
      daprServer,
    };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}
