/**
 * A small Prometheus text-format registry: counters and histograms with labels. Hand-written
 * because the router needs four series, and prom-client would add its weight to every cold start.
 *
 * Hot paths resolve a series once (`counter.series(labels)`, `histogram.series(labels)`) and keep it:
 * building the label key (sort, escape, join) on every delivery was ~9 % of a no-op delivery's CPU.
 */
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

// Deliveries are mostly sub-millisecond no-ops or short transactions; jobs can take seconds.
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
  readonly jobRuns = new Counter("taskbeat_job_runs_total", "Job callbacks run, by job and outcome.");
  readonly jobSeconds = new Histogram(
    "taskbeat_job_duration_seconds",
    "Time to run one job callback, by job.",
    latencyBuckets,
  );

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

  render(): string {
    return `${[this.deliveries, this.deliverySeconds, this.jobRuns, this.jobSeconds].map((m) => m.render()).join("\n")}\n`;
  }
}
