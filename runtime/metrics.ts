/**
 * The app's Prometheus metrics. The series the router records per delivery, job and tool call live in a
 * small hand-written registry (counters, histograms, gauges): hot paths resolve a series once
 * (`counter.series(labels)`, `histogram.series(labels)`) and keep it, since building the label key (sort,
 * escape, join) on every delivery was ~9 % of a no-op delivery's CPU, and a delivery then costs two
 * increments. The process and Node.js runtime series (memory, CPU, event-loop lag, GC, handles) come from
 * prom-client's collectDefaultMetrics, the well-kept implementation of those; its text is appended at
 * scrape time, so prom-client never runs on the delivery path (BENCHMARKS.md measures that path). It is
 * loaded at the first scrape, not at start: its import costs more start-up time and memory than the rest of
 * the metrics (a pod that is never scraped does not pay), and the GC and event-loop series it keeps begin
 * then, which the first scrape cannot tell from having begun at start.
 *
 * No label is called `job` or `instance`: Prometheus sets those on every target, and a clash renames
 * ours to `exported_job`, so documented queries would find nothing.
 */
import { createRequire } from "node:module";
import type { Registry as PromRegistry } from "prom-client";

type Labels = Record<string, string>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((key) => `${key}="${escapeLabel(labels[key] ?? "")}"`).join(",");
}

interface Metric {
  render(): string;
}

/** One labelled series of a counter. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: string) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter implements Metric {
  private readonly all = new Map<string, CounterSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series for these labels, created at 0 if new; keep it to count without rebuilding the key. */
  series(labels: Labels): CounterSeries {
    const key = labelKey(labels);
    let series = this.all.get(key);
    if (!series) {
      series = new CounterSeries(key);
      this.all.set(key, series);
    }
    return series;
  }

  inc(labels: Labels, by = 1): void {
    this.series(labels).inc(by);
  }

  get(labels: Labels): number {
    return this.all.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.all.values()) lines.push(`${this.name}{${s.labels}} ${s.value}`);
    return lines.join("\n");
  }
}

/** One labelled series of a histogram. */
export class HistogramSeries {
  /** Observations per bucket, not cumulative (one increment per observation); render sums them up. */
  readonly inBucket: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: string,
    private readonly bounds: readonly number[],
  ) {
    this.inBucket = bounds.map(() => 0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    // Past the last bound it is counted in +Inf only, which is `count`.
    if (i < bounds.length) this.inBucket[i] = (this.inBucket[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }
}

export class Histogram implements Metric {
  private readonly all = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  /** The series for these labels, created empty if new; keep it to observe without rebuilding the key. */
  series(labels: Labels): HistogramSeries {
    const key = labelKey(labels);
    let series = this.all.get(key);
    if (!series) {
      series = new HistogramSeries(key, this.bounds);
      this.all.set(key, series);
    }
    return series;
  }

  observe(labels: Labels, value: number): void {
    this.series(labels).observe(value);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.all.values()) {
      const prefix = s.labels ? `${s.labels},` : "";
      // The exposition format wants cumulative buckets: each counts every observation ≤ its bound.
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += s.inBucket[i] as number;
        lines.push(`${this.name}_bucket{${prefix}le="${bound}"} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${s.labels}} ${s.sum}`);
      lines.push(`${this.name}_count{${s.labels}} ${s.count}`);
    }
    return lines.join("\n");
  }
}

/** A gauge whose values are set (at scrape time, by a collector); a series not set is not rendered. */
export class Gauge implements Metric {
  private readonly all = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(labels: Labels, value: number): void {
    this.all.set(labelKey(labels), value);
  }

  /** Forgets every series (a collector that failed must not leave stale values behind). */
  reset(): void {
    this.all.clear();
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.all) lines.push(`${this.name}${labels ? `{${labels}}` : ""} ${value}`);
    return lines.join("\n");
  }
}

/**
 * Deliveries are mostly sub-millisecond no-ops or short transactions; jobs can take seconds. The top
 * bounds reach daprd's 60 s delivery timeout (contract §3), so a handler running into it shows as such.
 */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const MISNAMED_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** Samples read at scrape time (from the database); throws or rejects when they cannot be read. */
export type Collector = (metrics: RuntimeMetrics) => Promise<void>;

/** package.json's version: one level up from the sources, two from dist/runtime/. */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const path of ["../package.json", "../../package.json"]) {
    try {
      const { name, version } = require(path) as { name?: string; version?: string };
      if (name === "taskbeat" && version) return version;
    } catch {}
  }
  return "unknown";
}

export type DeliveryOutcome = "success" | "drop" | "retry";
export type JobOutcome = "success" | "failure";

/** The delivery series of one topic route, resolved once when the route is mounted. */
export interface RouteDeliveryMetrics {
  record(outcome: DeliveryOutcome, seconds: number): void;
}

/** The series the router records; one instance per process. */
export class RuntimeMetrics {
  readonly deliveries = new Counter(
    "taskbeat_deliveries_total",
    "Pub/sub messages handled, by route and outcome (success, drop, retry).",
  );
  readonly deliverySeconds = new Histogram(
    "taskbeat_delivery_duration_seconds",
    "Time to handle one pub/sub message, by route.",
    latencyBuckets,
  );
  readonly jobRuns = new Counter(
    "taskbeat_job_runs_total",
    "Job callbacks run, by job_name and outcome (success, failure).",
  );
  readonly jobSeconds = new Histogram(
    "taskbeat_job_duration_seconds",
    "Time to run one job callback, by job_name.",
    latencyBuckets,
  );
  readonly toolCalls = new Counter(
    "taskbeat_mcp_tool_calls_total",
    "MCP tool calls, by tool and outcome (ok, or the error code in lower case, e.g. validation_error).",
  );
  readonly toolSeconds = new Histogram(
    "taskbeat_mcp_tool_duration_seconds",
    "Time to answer one MCP tool call, by tool.",
    latencyBuckets,
  );
  readonly buildInfo = new Gauge(
    "taskbeat_build_info",
    "Always 1; the running taskbeat version is its label.",
  );
  readonly outboxPending = new Gauge(
    "taskbeat_outbox_pending_rows",
    "Outbox rows not yet published (read at scrape time; the same in every replica).",
  );
  readonly outboxOldestAge = new Gauge(
    "taskbeat_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row, 0 when the outbox is empty.",
  );
  readonly outboxDead = new Gauge(
    "taskbeat_outbox_dead_rows",
    "Outbox rows the relay gave up on (outbox_dead); `taskbeat dead-letters` handles them.",
  );
  readonly reminders = new Gauge(
    "taskbeat_reminders",
    "Reminders by state, for the states that need attention (pending, published, failed).",
  );
  readonly deadLetters = new Gauge(
    "taskbeat_dead_letters",
    "Dead-lettered messages kept for an operator, by source (the DLQ topic, or outbox).",
  );
  readonly databaseUp = new Gauge(
    "taskbeat_metrics_database_up",
    "1 when the scrape read the database gauges in time, 0 when it could not (they are then absent).",
  );
  private process: Promise<PromRegistry | undefined> | undefined;
  private readonly processMetrics: boolean;
  private readonly collectors: Collector[] = [];

  constructor(options: { processMetrics?: boolean } = {}) {
    this.buildInfo.set({ version: packageVersion() }, 1);
    this.processMetrics = options.processMetrics ?? true;
  }

  private processRegistry(): Promise<PromRegistry | undefined> {
    this.process ??= this.processMetrics
      ? import("prom-client").then(({ collectDefaultMetrics, Registry }) => {
          const registry = new Registry();
          collectDefaultMetrics({ register: registry });
          // Gauges named like counters, which `promtool check metrics` rejects; the same counts are there
          // by type as nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
          for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
          return registry;
        })
      : Promise.resolve(undefined);
    return this.process;
  }

  /** Runs at every scrape, before rendering (e.g. the database gauges, runtime/db-gauges.ts). */
  addCollector(collector: Collector): void {
    this.collectors.push(collector);
  }

  /**
   * Every outcome of the route starts at 0, so a scraper sees `retry` exist before its first increment
   * (a rate over a series that appears mid-way misses that first rise).
   */
  deliveryRoute(route: string): RouteDeliveryMetrics {
    const outcomes: Record<DeliveryOutcome, CounterSeries> = {
      success: this.deliveries.series({ route, outcome: "success" }),
      drop: this.deliveries.series({ route, outcome: "drop" }),
      retry: this.deliveries.series({ route, outcome: "retry" }),
    };
    const latency = this.deliverySeconds.series({ route });
    return {
      record(outcome, seconds) {
        outcomes[outcome].inc();
        latency.observe(seconds);
      },
    };
  }

  /** One job run's outcome and duration. */
  recordJob(name: string, ok: boolean, seconds: number): void {
    this.jobRuns.inc({ job_name: name, outcome: ok ? "success" : "failure" });
    this.jobSeconds.observe({ job_name: name }, seconds);
  }

  /** One MCP tool call: `outcome` is "ok" or the tool error's code. */
  recordToolCall(tool: string, outcome: string, seconds: number): void {
    this.toolCalls.inc({ tool, outcome: outcome.toLowerCase() });
    this.toolSeconds.observe({ tool }, seconds);
  }

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((collect) => collect(this)));
    const own = [
      this.deliveries,
      this.deliverySeconds,
      this.jobRuns,
      this.jobSeconds,
      this.toolCalls,
      this.toolSeconds,
      this.buildInfo,
      this.outboxPending,
      this.outboxOldestAge,
      this.outboxDead,
      this.reminders,
      this.deadLetters,
      this.databaseUp,
    ]
      .map((m) => m.render())
      .join("\n");
    const process = await this.processRegistry();
    return process ? `${own}\n${await process.metrics()}` : `${own}\n`;
  }
}
