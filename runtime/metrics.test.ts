import { describe, expect, it } from "vitest";
import { Counter, Histogram, RuntimeMetrics } from "./metrics.js";

describe("Counter", () => {
  it("counts per label set, whatever the order the labels are given in", () => {
    const counter = new Counter("things_total", "Things.");
    counter.inc({ route: "/a", outcome: "success" });
    counter.inc({ outcome: "success", route: "/a" }, 2);
    counter.inc({ route: "/b", outcome: "success" });
    expect(counter.get({ route: "/a", outcome: "success" })).toBe(3);
    expect(counter.render()).toBe(
      [
        "# HELP things_total Things.",
        "# TYPE things_total counter",
        'things_total{outcome="success",route="/a"} 3',
        'things_total{outcome="success",route="/b"} 1',
      ].join("\n"),
    );
  });

  it("a resolved series counts into the same series as inc with the same labels", () => {
    const counter = new Counter("things_total", "Things.");
    const series = counter.series({ route: "/a" });
    series.inc();
    counter.inc({ route: "/a" });
    series.inc(3);
    expect(counter.get({ route: "/a" })).toBe(5);
    expect(counter.series({ route: "/a" })).toBe(series);
  });

  it("escapes label values as the exposition format requires", () => {
    const counter = new Counter("odd_total", "Odd.");
    counter.inc({ path: 'a"b\\c\nd' });
    expect(counter.render()).toContain('odd_total{path="a\\"b\\\\c\\nd"} 1');
  });
});

describe("Histogram", () => {
  it("renders cumulative buckets, +Inf, sum and count", () => {
    const histogram = new Histogram("latency_seconds", "Latency.", [0.1, 1, 10]);
    const series = histogram.series({ route: "/a" });
    for (const value of [0.05, 0.1, 0.5, 5, 50]) series.observe(value);
    expect(histogram.render().split("\n")).toEqual([
      "# HELP latency_seconds Latency.",
      "# TYPE latency_seconds histogram",
      // A value equal to a bound is in that bucket (le = less than or equal).
      'latency_seconds_bucket{route="/a",le="0.1"} 2',
      'latency_seconds_bucket{route="/a",le="1"} 3',
      'latency_seconds_bucket{route="/a",le="10"} 4',
      'latency_seconds_bucket{route="/a",le="+Inf"} 5',
      'latency_seconds_sum{route="/a"} 55.65',
      'latency_seconds_count{route="/a"} 5',
    ]);
  });

  it("observe with labels and a resolved series share one series", () => {
    const histogram = new Histogram("latency_seconds", "Latency.", [1]);
    histogram.observe({ job: "tick" }, 0.5);
    histogram.series({ job: "tick" }).observe(2);
    expect(histogram.render()).toContain('latency_seconds_bucket{job="tick",le="1"} 1');
    expect(histogram.render()).toContain('latency_seconds_count{job="tick"} 2');
  });
});

describe("RuntimeMetrics.deliveryRoute", () => {
  it("shows every outcome of a route at 0 before its first delivery", async () => {
    const metrics = new RuntimeMetrics();
    metrics.deliveryRoute("/events/email/reminder-due");
    const text = await metrics.render();
    for (const outcome of ["success", "drop", "retry"]) {
      expect(text).toContain(
        `taskbeat_deliveries_total{outcome="${outcome}",route="/events/email/reminder-due"} 0`,
      );
    }
    expect(text).toContain('taskbeat_delivery_duration_seconds_count{route="/events/email/reminder-due"} 0');
  });

  it("records the outcome and the duration of each delivery", async () => {
    const metrics = new RuntimeMetrics();
    const route = metrics.deliveryRoute("/events/a/b");
    route.record("success", 0.0004);
    route.record("success", 0.002);
    route.record("retry", 3);
    expect(metrics.deliveries.get({ route: "/events/a/b", outcome: "success" })).toBe(2);
    expect(metrics.deliveries.get({ route: "/events/a/b", outcome: "retry" })).toBe(1);
    expect(metrics.deliveries.get({ route: "/events/a/b", outcome: "drop" })).toBe(0);
    const text = await metrics.render();
    expect(text).toContain('taskbeat_delivery_duration_seconds_bucket{route="/events/a/b",le="0.001"} 1');
    expect(text).toContain('taskbeat_delivery_duration_seconds_bucket{route="/events/a/b",le="0.0025"} 2');
    expect(text).toContain('taskbeat_delivery_duration_seconds_bucket{route="/events/a/b",le="2.5"} 2');
    expect(text).toContain('taskbeat_delivery_duration_seconds_bucket{route="/events/a/b",le="5"} 3');
    expect(text).toContain('taskbeat_delivery_duration_seconds_count{route="/events/a/b"} 3');
  });

  it("resolving a route twice (one process, two apps) keeps counting into the same series", () => {
    const metrics = new RuntimeMetrics();
    metrics.deliveryRoute("/events/a/b").record("drop", 0.001);
    metrics.deliveryRoute("/events/a/b").record("drop", 0.001);
    expect(metrics.deliveries.get({ route: "/events/a/b", outcome: "drop" })).toBe(2);
  });
});
