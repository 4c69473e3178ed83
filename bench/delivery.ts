/**
 * Delivery throughput: what daprd sends (a CloudEvent, or a bulk of 10) POSTed by autocannon in its own
 * process to three servers, each in its own process: the taskbeat router (no-op handler), a bare Hono
 * route doing the same JSON parse, and `@dapr/dapr`'s DaprServer. Runs are interleaved, so each run's
 * ratios compare servers measured moments apart; medians are over runs.
 */
import { autocannon, type Child, freePort, median, rssMb, startServer } from "./lib/proc.js";

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
export const BULK_BODY = JSON.stringify({
  id: "bulk-1",
  pubsubname: "pubsub",
  topic: "noop-bulk",
  type: "com.dapr.event.sent.bulk",
  metadata: {},
  entries: Array.from({ length: 10 }, (_, i) => ({
    entryId: `entry-${i}`,
    event: { ...event(i), topic: "noop-bulk" },
    contentType: "application/cloudevents+json",
  })),
});

interface Target {
  name: string;
  url: (shape: "single" | "bulk") => string;
}

export async function benchDelivery(options: DeliveryOptions): Promise<DeliveryResult> {
  const ports = { taskbeat: await freePort(), bare: await freePort(), dapr: await freePort() };
  const sidecarPort = await freePort();
  const children: Child[] = [];
  let daprServer = "started";
  try {
    const taskbeat = await startServer("taskbeat", ports.taskbeat);
    children.push(taskbeat);
    children.push(await startServer("bare", ports.bare));
    const targets: Target[] = [
      {
        name: "taskbeat",
        url: (s) =>
          `http://127.0.0.1:${ports.taskbeat}/events/bench/${s === "single" ? "noop" : "noop-bulk"}`,
      },
      {
        name: "bare",
        url: (s) => `http://127.0.0.1:${ports.bare}/bare/${s === "single" ? "noop" : "noop-bulk"}`,
      },
    ];
    try {
      children.push(await startServer("dapr", ports.dapr, [String(sidecarPort)]));
      targets.push({
        name: "dapr",
        url: (s) =>
          `http://127.0.0.1:${ports.dapr}/pubsub--${s === "single" ? "noop" : "noop-bulk"}--default`,
      });
    } catch (error) {
      daprServer = `did not start: ${(error as Error).message}`;
    }
    const taskbeatRssIdleMb = rssMb(taskbeat.pid);

    const samples: Record<string, number[]> = {};
    const ratioSamples: Record<string, number[]> = {};
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
          if (options.warmupSeconds > 0) {
            await autocannon(target.url(shape), shape === "single" ? SINGLE_BODY : BULK_BODY, {
              connections: options.connections,
              seconds: options.warmupSeconds,
            });
          }
        }
        for (let run = 0; run < options.runs; run++) {
          const perRun: Record<string, number> = {};
          for (const target of targets) {
            const result = await autocannon(target.url(shape), shape === "single" ? SINGLE_BODY : BULK_BODY, {
              connections: options.connections,
              seconds: options.seconds,
            });
            failures += result.errors + result.non2xx;
            const key = `${target.name}.${shape}`;
            perRun[target.name] = result.rps;
            add(samples, key, result.rps);
          }
          const tb = perRun.taskbeat ?? Number.NaN;
          add(ratioSamples, `taskbeat/bare.${shape}`, tb / (perRun.bare ?? Number.NaN));
          if (perRun.dapr !== undefined) add(ratioSamples, `taskbeat/dapr.${shape}`, tb / perRun.dapr);
        }
      }
    } finally {
      clearInterval(sampler);
    }
    const rps = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const ratios = Object.fromEntries(Object.entries(ratioSamples).map(([k, v]) => [k, median(v)]));
    return { rps, ratios, taskbeatRssUnderLoadMb: peakRss, taskbeatRssIdleMb, failures, daprServer };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}
