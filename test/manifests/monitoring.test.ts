/**
 * manifests/components/monitoring, rendered into the production overlay as an operator would include it: the
 * PodMonitor scrapes ports the pods have, the PrometheusRule passes `promtool check rules`, its alerts fire in
 * `promtool test rules` (monitoring.rules.test.yaml), use only the metric names the runtime exports and point at
 * runbook sections that exist. The monitoring.coreos.com CRDs are not in ../shared/dapr-reference, so their
 * objects are checked field by field here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigMap } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { kubectl, missingInCI, promtool, root } from "./prerequisites.js";

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML; the assertions are the type checks
type Obj = Record<string, any>;

/** The app's metric families (runtime/metrics.ts and those docs/operations.md lists); a rule may use no other. */
const TASKBEAT_METRICS = new Set([
  "taskbeat_deliveries_total",
  "taskbeat_delivery_duration_seconds",
  "taskbeat_job_runs_total",
  "taskbeat_job_duration_seconds",
  "taskbeat_mcp_tool_calls_total",
  "taskbeat_mcp_tool_duration_seconds",
  "taskbeat_outbox_pending_rows",
  "taskbeat_outbox_oldest_age_seconds",
  "taskbeat_outbox_dead_rows",
  "taskbeat_reminders",
  "taskbeat_build_info",
  "taskbeat_dead_letters",
]);

const scratch = mkdtempSync(path.join(tmpdir(), "taskbeat-monitoring-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The production overlay with the component, through a kustomization outside the repository (relative paths). */
function render(): Obj[] {
  const manifests = path.relative(scratch, path.join(root, "manifests"));
  writeFileSync(
    path.join(scratch, "kustomization.yaml"),
    stringify({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      namespace: "taskbeat",
      resources: [`${manifests}/overlays/production`],
      components: [`${manifests}/components/monitoring`],
    }),
  );
  const out = execFileSync("kubectl", ["kustomize", scratch], { encoding: "utf8" });
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((doc): doc is Obj => doc !== null);
}

it("has kubectl and promtool in CI (elsewhere their checks are skipped, saying so)", () => {
  expect(missingInCI(kubectl, promtool)).toEqual([]);
});

describe.skipIf(kubectl.skip)(`monitoring component in the production overlay${kubectl.note}`, () => {
  const objects = kubectl.skip ? [] : render();
  const one = (kind: string, name?: string) => {
    const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    expect(found, kind).toHaveLength(1);
    return found[0] as Obj;
  };
  const rule = () => one("PrometheusRule");
  const rules = () => (rule().spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]);

  it("scrapes the app's /metrics and daprd's metrics port on every group's pods", () => {
    const monitor = one("PodMonitor");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(monitor.metadata.namespace).toBe("taskbeat");
    expect(Object.keys(monitor.spec).sort()).toEqual(["podMetricsEndpoints", "selector"]);
    const deployments = objects.filter((o) => o.kind === "Deployment");
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels as Record<string, string>;
      for (const e of monitor.spec.selector.matchExpressions as Obj[]) {
        expect(e.operator).toBe("In");
        expect(e.values, `${d.metadata.name} ${e.key}`).toContain(labels[e.key]);
      }
      const annotations = d.spec.template.metadata.annotations as Record<string, string>;
      expect(annotations["dapr.io/enable-metrics"]).toBe("true");
      expect(annotations["dapr.io/metrics-port"]).toBe("9090");
    }
    const endpoints = monitor.spec.podMetricsEndpoints as Obj[];
    const [app] = (deployments[0] as Obj).spec.template.spec.containers as Obj[];
    const appPorts = ((app?.ports ?? []) as Obj[]).map((p) => p.name);
    // "dapr-metrics" is the name the sidecar injector gives daprd's metrics port.
    expect(endpoints.map((e) => [e.port, e.path])).toEqual([
      ["http", "/metrics"],
      ["dapr-metrics", "/"],
    ]);
    expect(appPorts).toContain("http");
    for (const e of endpoints) {
      expect(Object.keys(e).sort()).toEqual(["interval", "path", "port", "relabelings", "scrapeTimeout"]);
      expect(e.relabelings).toContainEqual({
        sourceLabels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"],
        targetLabel: "group",
      });
    }
    // The NetworkPolicy lets Prometheus (namespace monitoring) in on both ports.
    const policy = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "taskbeat-default");
    const ports = ((policy?.spec.ingress ?? []) as Obj[]).flatMap((i) =>
      (i.ports as Obj[]).map((p) => p.port),
    );
    expect(ports).toEqual(expect.arrayContaining([9090, "http"]));
  });

  it("has alerts with a severity, a summary and a runbook section that exists", () => {
    const r = rule();
    expect(r.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(r.metadata.namespace).toBe("taskbeat");
    expect(Object.keys(r.spec)).toEqual(["groups"]);
    const anchors = markdownAnchors(readFileSync(path.join(root, "docs/operations.md"), "utf8"));
    const names = rules().map((x) => x.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const x of rules()) {
      expect(Object.keys(x).every((k) => ["alert", "expr", "for", "labels", "annotations"].includes(k))).toBe(
        true,
      );
      expect(x.alert, JSON.stringify(x)).toMatch(/^Taskbeat[A-Z][A-Za-z]+$/);
      expect(["warning", "critical"]).toContain(x.labels?.severity);
      expect(x.annotations?.summary, x.alert).toBeTruthy();
      const runbook = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(x.annotations?.runbook ?? "");
      expect(runbook, `${x.alert} runbook`).not.toBeNull();
      expect(anchors, `${x.alert} runbook section`).toContain(runbook?.[1]);
    }
    // The alerts the runbook promises.
    for (const alert of [
      "TaskbeatDeliveryDrops",
      "TaskbeatOutboxBacklog",
      "TaskbeatOutboxDeadRows",
      "TaskbeatDeadLetters",
      "TaskbeatRemindersFailed",
      "TaskbeatCheckDueTasksStale",
      "TaskbeatConsumerLag",
    ])
      expect(names).toContain(alert);
  });

  it("uses only metric names the runtime exports, and job_name, never job, for taskbeat's jobs", () => {
    const dashboard = JSON.parse(one("ConfigMap", "taskbeat-dashboard").data["taskbeat.json"]) as Obj;
    const exprs = [
      ...rules().map((x) => x.expr as string),
      ...(dashboard.panels as Obj[]).flatMap((p) => (p.targets as Obj[]).map((t) => t.expr as string)),
    ];
    for (const expr of exprs) {
      for (const [, name] of expr.matchAll(/\b(taskbeat_[a-z_]+)/g)) {
        const family = (name as string).replace(/_(bucket|sum|count)$/, "");
        expect(TASKBEAT_METRICS, `${name} in ${expr}`).toContain(family);
      }
      // `job` on an app metric would be Prometheus' target label (the app's own becomes exported_job).
      for (const [selector] of expr.matchAll(/taskbeat_[a-z_]+\{[^}]*\}/g))
        expect(selector, expr).not.toMatch(/[{,\s](job|instance|exported_job)\s*(=|!=|=~|!~)/);
    }
  });

  it("ships the Grafana dashboard as a valid ConfigMap the sidecar picks up", () => {
    const cm = one("ConfigMap", "taskbeat-dashboard");
    expect(() => new ConfigMap(cm as never).validate()).not.toThrow();
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const dashboard = JSON.parse(cm.data["taskbeat.json"]) as Obj;
    expect(dashboard.uid).toBe("taskbeat");
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });

  describe.skipIf(promtool.skip)(`promtool${promtool.note}`, () => {
    const rulesFile = () => {
      const file = path.join(scratch, "rules.yaml");
      writeFileSync(file, stringify({ groups: rule().spec.groups }));
      return file;
    };

    it("check rules: every rule parses and is well-formed", () => {
      const out = execFileSync("promtool", ["check", "rules", rulesFile()], { encoding: "utf8" });
      expect(out).toMatch(/SUCCESS: \d+ rules found/);
    });

    it("test rules: the alerts fire on the failures they name and stay quiet otherwise", () => {
      rulesFile();
      const tests = path.join(scratch, "monitoring.rules.test.yaml");
      writeFileSync(tests, readFileSync(path.join(import.meta.dirname, "monitoring.rules.test.yaml")));
      const run = () =>
        execFileSync("promtool", ["test", "rules", tests], { encoding: "utf8", stdio: "pipe" });
      expect(run).not.toThrow();
    });
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function markdownAnchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading]) =>
    (heading as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s-]/gu, "")
      .trim()
      .replace(/\s/g, "-"),
  );
}
