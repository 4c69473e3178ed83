/**
 * A small Prometheus text-format registry: counters and histograms with labels. Hand-written
 * because the router needs four series, and prom-client would add its weight to every cold start.
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

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.values) lines.push(`${this.name}{${key}} ${value}`);
    return lines.join("\n");
  }
}

interface HistogramSeries {
  labels: string;
  buckets: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels: key, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    // Buckets are cumulative in the exposition format; store them that way so render is a plain walk.
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] as number)) series.buckets[i] = (series.buckets[i] as number) + 1;
    }
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      const prefix = s.labels ? `${s.labels},` : "";
      this.bounds.forEach((bound, i) => {
        lines.push(`${this.name}_bucket{${prefix}le="${bound}"} ${s.buckets[i]}`);
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

  render(): string {
    return `${[this.deliveries, this.deliverySeconds, this.jobRuns, this.jobSeconds].map((m) => m.render()).join("\n")}\n`;
  }
}
