/**
 * `npm run bench`: measures delivery throughput (against a bare Hono route and `@dapr/dapr`'s DaprServer),
 * the due-reminder claim, the outbox relay, start-up and memory, and the reminder pipeline end to end
 * (job → outbox → relay → sidecar → email → SMTP); prints one table and writes it to
 * BENCHMARKS.md (between the markers; the rest of the file is kept). `--smoke` runs tiny sizes in
 * seconds (CI); `--out <file>` writes elsewhere; `--only delivery,claim` runs some sections (and writes
 * only where `--out` says, since a partial table must not replace the full one).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { benchClaim, type ClaimSize } from "./claim.js";
import { benchDelivery } from "./delivery.js";
import { buildIfStale } from "./lib/build.js";
import { type BenchDb, openBenchDb } from "./lib/db.js";
import { ROOT } from "./lib/proc.js";
import { benchMcp, MCP_TOOLS, type McpPlan } from "./mcp.js";
import { benchOutbox } from "./outbox.js";
import { benchPipeline, type PipelinePlan } from "./pipeline.js";
import { benchStartup } from "./startup.js";

export interface Row {
  section: string;
  measure: string;
  value: number;
  unit: string;
  target?: string;
  /** Undefined when there is no target. */
  met?: boolean;
}

export interface BenchOptions {
  smoke: boolean;
  /** Sections to run (all when absent). */
  only?: string[];
}

const FULL = {
  delivery: { runs: 3, seconds: 5, connections: 32, warmupSeconds: 2 },
  claimSmall: { tasks: 10_000, pending: 100_000, due: 1_000 },
  claimLarge: { tasks: 1_000_000, pending: 100_000, due: 1_000 },
  claimRuns: 5,
  outboxRows: 10_000,
  outboxRuns: 3,
  startupRuns: 5,
  // 1M tasks, 10k of them the signed-in user's, spread over 10k users (about 99 each for the others).
  mcp: {
    corpus: { tasks: 1_000_000, userTasks: 10_000, otherUsers: 9_999 },
    warmup: 50,
    calls: 500,
    runs: 3,
    concurrentClients: 4,
  } as McpPlan,
  // 5,000 reminders due at once through job → outbox → relay → sidecar → email handler → SMTP.
  pipeline: {
    reminders: 5_000,
    runs: 3,
    seedBeforeStart: false,
    quietMs: 2_000,
    warmupReminders: 2_000,
    lateReminders: 200,
  } as PipelinePlan,
};
const SMOKE: typeof FULL = {
  delivery: { runs: 1, seconds: 1, connections: 8, warmupSeconds: 0 },
  claimSmall: { tasks: 1_000, pending: 1_000, due: 50 },
  claimLarge: { tasks: 5_000, pending: 1_000, due: 50 },
  claimRuns: 1,
  outboxRows: 300,
  outboxRuns: 1,
  startupRuns: 1,
  mcp: {
    corpus: { tasks: 3_000, userTasks: 300, otherUsers: 20 },
    warmup: 1,
    calls: 4,
    runs: 1,
    concurrentClients: 2,
  },
  // Due before the app starts, so the tick at job registration claims them: no wait for a period.
  pipeline: {
    reminders: 100,
    runs: 1,
    seedBeforeStart: true,
    quietMs: 300,
    warmupReminders: 0,
    lateReminders: 20,
  },
};

const size = (s: ClaimSize) =>
  `${compact(s.tasks)} tasks, ${compact(s.pending)} pending, ${compact(s.due)} due`;
const compact = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

type Plan = typeof FULL;
type Log = (msg: string) => void;

/** One part of the suite: its rows are appended in this order. `--only a,b` runs a subset. */
const SECTIONS: Record<string, (plan: Plan, rows: Row[], log: Log) => Promise<void>> = {
  delivery: benchDeliverySection,
  claim: (plan, rows, log) => withDb((db) => benchClaimSection(db, plan, rows, log)),
  outbox: (plan, rows, log) => withDb((db) => benchOutboxSection(db, plan, rows, log)),
  startup: (plan, rows, log) => withDb((db) => benchStartupSection(db, plan, rows, log)),
  mcp: (plan, rows, log) => withDb((db) => benchMcpSection(db, plan, rows, log)),
  pipeline: (plan, rows, log) => withDb((db) => benchPipelineSection(db, plan, rows, log)),
};
export const SECTION_NAMES = Object.keys(SECTIONS);

async function withDb(use: (db: BenchDb) => Promise<void>): Promise<void> {
  const db = await openBenchDb();
  try {
    await use(db);
  } finally {
    await db.drop();
  }
}

export async function runBench(options: BenchOptions): Promise<Row[]> {
  const plan = options.smoke ? SMOKE : FULL;
  const rows: Row[] = [];
  const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
  const only = options.only ?? SECTION_NAMES;
  const unknown = only.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0)
    throw new Error(`unknown bench section(s): ${unknown.join(", ")} (known: ${SECTION_NAMES.join(", ")})`);
  // Start-up, MCP and the pipeline spawn bin/taskbeat.mjs: measure the compiled build of these sources.
  buildIfStale(log);
  for (const name of SECTION_NAMES) {
    if (only.includes(name)) await SECTIONS[name]?.(plan, rows, log);
  }
  return rows;
}

async function benchDeliverySection(plan: Plan, rows: Row[], log: Log): Promise<void> {
  log("delivery throughput");
  const d = await benchDelivery(plan.delivery);
  const deliveries = (shape: "single" | "bulk") => {
    const label = shape === "single" ? "1 CloudEvent" : "bulk of 10";
    const unit = shape === "single" ? "deliveries/s" : "bulk requests/s";
    rows.push({
      section: "delivery",
      measure: `taskbeat route, ${label}`,
      value: d.rps[`taskbeat.${shape}`] ?? NaN,
      unit,
    });
    rows.push({
      section: "delivery",
      measure: `bare Hono route, ${label}`,
      value: d.rps[`bare.${shape}`] ?? NaN,
      unit,
    });
    rows.push({
      section: "delivery",
      measure: `DaprServer, ${label}`,
      value: d.rps[`dapr.${shape}`] ?? NaN,
      unit,
    });
    const vsDapr = d.ratios[`taskbeat/dapr.${shape}`] ?? NaN;
    const vsBare = d.ratios[`taskbeat/bare.${shape}`] ?? NaN;
    rows.push({
      section: "delivery",
      measure: `taskbeat / DaprServer, ${label}`,
      value: vsDapr,
      unit: "×",
      target: "≥ 3",
      met: vsDapr >= 3,
    });
    rows.push({
      section: "delivery",
      measure: `taskbeat / bare route, ${label}`,
      value: vsBare,
      unit: "×",
      target: "≥ 0.8",
      met: vsBare >= 0.8,
    });
  };
  deliveries("single");
  deliveries("bulk");
  rows.push({
    section: "memory",
    measure: "RSS of the router process, idle (before load)",
    value: d.taskbeatRssIdleMb,
    unit: "MB",
  });
  rows.push({
    section: "memory",
    measure: "RSS of the router process, peak under delivery load",
    value: d.taskbeatRssUnderLoadMb,
    unit: "MB",
    target: "≤ 150",
    met: d.taskbeatRssUnderLoadMb <= 150,
  });
  rows.push({
    section: "delivery",
    measure: "failed or non-2xx deliveries (all servers)",
    value: d.failures,
    unit: "count",
  });
}

async function benchClaimSection(db: BenchDb, plan: Plan, rows: Row[], log: Log): Promise<void> {
  log(`due-reminder claim: ${size(plan.claimSmall)}`);
  const small = await benchClaim(db.sql, plan.claimSmall, plan.claimRuns);
  log(`due-reminder claim: ${size(plan.claimLarge)}`);
  const large = await benchClaim(db.sql, plan.claimLarge, plan.claimRuns);
  for (const c of [small, large]) {
    rows.push({
      section: "claim",
      measure: `claim + enqueue ${compact(c.due)} due (${size(c)})`,
      value: c.claimDueMs,
      unit: "ms",
      target: "≤ 50",
      met: c.claimDueMs <= 50 && c.claimed === c.due,
    });
    rows.push({
      section: "claim",
      measure: `claim, nothing due (${size(c)})`,
      value: c.nothingDueMs,
      unit: "ms",
      target: "≤ 5",
      met: c.nothingDueMs <= 5,
    });
    rows.push({
      section: "claim",
      measure: `floor: the same ${compact(c.due)} reminder updates + outbox rows, bare (${compact(c.tasks)} tasks)`,
      value: c.floorUpdateMs + c.floorOutboxMs,
      unit: "ms",
    });
    rows.push({
      section: "claim",
      measure: `seeding ${compact(c.tasks)} tasks (generate_series)`,
      value: c.seedSeconds,
      unit: "s",
    });
  }
  const ratio = large.claimDueMs / small.claimDueMs;
  rows.push({
    section: "claim",
    measure: `claim time ${compact(large.tasks)} / ${compact(small.tasks)} tasks`,
    value: ratio,
    unit: "×",
    target: "≤ 1.5",
    met: ratio <= 1.5,
  });
  await db.sql`truncate users, tasks, reminders, outbox cascade`;
}

async function benchOutboxSection(db: BenchDb, plan: Plan, rows: Row[], log: Log): Promise<void> {
  log(`outbox relay: ${compact(plan.outboxRows)} rows`);
  const o = await benchOutbox(db.sql, plan.outboxRows, plan.outboxRuns);
  rows.push({
    section: "outbox",
    measure: `drainOutbox → local sidecar (${compact(o.rows)} rows)`,
    value: o.eventsPerSecond,
    unit: "events/s",
    target: "≥ 5000",
    met: o.eventsPerSecond >= 5000 && o.published === o.rows,
  });
}

async function benchStartupSection(db: BenchDb, plan: Plan, rows: Row[], log: Log): Promise<void> {
  log("start-up and memory");
  const s = await benchStartup(db.url, plan.startupRuns);
  rows.push({
    section: "start-up",
    measure: "serve --group email: spawn → /readyz 200",
    value: s.readyMs,
    unit: "ms",
    target: "≤ 300",
    met: s.readyMs <= 300,
  });
  rows.push({
    section: "memory",
    measure: "RSS of serve --group email, idle",
    value: s.rssIdleMb,
    unit: "MB",
    target: "≤ 80",
    met: s.rssIdleMb <= 80,
  });
}

async function benchMcpSection(db: BenchDb, plan: Plan, rows: Row[], log: Log): Promise<void> {
  const c = plan.mcp.corpus;
  log(`mcp latency: ${compact(c.tasks)} tasks, ${compact(c.userTasks)} of them the user's`);
  const m = await benchMcp(db, plan.mcp);
  for (const tool of MCP_TOOLS) {
    const { p50, p99 } = m.sequential[tool];
    rows.push({
      section: "mcp",
      measure: `${tool} (1 client), p50`,
      value: p50,
      unit: "ms",
      target: "≤ 5",
      met: p50 <= 5,
    });
    rows.push({
      section: "mcp",
      measure: `${tool} (1 client), p99`,
      value: p99,
      unit: "ms",
      target: "≤ 25",
      met: p99 <= 25,
    });
  }
  // What every call pays before taskbeat's own work, timed in the same rounds (bench/lib/floors.ts).
  const floors = {
    http: "floor: HTTP round trip to serve (GET /healthz), p50",
    query: "floor: database round trip (select 1), p50",
    commit: "floor: one-row insert and durable commit, p50",
  } as const;
  for (const [floor, measure] of Object.entries(floors) as [keyof typeof floors, string][]) {
    rows.push({ section: "mcp", measure, value: m.floors[floor].p50, unit: "ms" });
  }
  if (m.concurrent) {
    for (const tool of MCP_TOOLS) {
      const { p50, p99 } = m.concurrent[tool];
      const clients = `(${plan.mcp.concurrentClients} clients at once)`;
      rows.push({ section: "mcp", measure: `${tool} ${clients}, p50`, value: p50, unit: "ms" });
      rows.push({ section: "mcp", measure: `${tool} ${clients}, p99`, value: p99, unit: "ms" });
    }
  }
  rows.push({
    section: "mcp",
    measure: `search_tasks "${m.corpus.query}": the user's matches (of ${compact(c.userTasks)})`,
    value: m.corpus.userMatches,
    unit: "tasks",
  });
  rows.push({
    section: "mcp",
    measure: `search_tasks "${m.corpus.query}": all users' matches (of ${compact(c.tasks)})`,
    value: m.corpus.allMatches,
    unit: "tasks",
  });
  rows.push({
    section: "mcp",
    measure: `seeding ${compact(c.tasks)} tasks with text (generate_series)`,
    value: m.corpus.seedSeconds,
    unit: "s",
  });
  rows.push({
    section: "mcp",
    measure: "serve process CPU per call (every timed call, 1 client)",
    value: m.serverCpuPerCallMs,
    unit: "ms",
  });
  rows.push({
    section: "mcp",
    measure: "failed or unexpected MCP answers",
    value: m.failures,
    unit: "count",
  });
}

async function benchPipelineSection(db: BenchDb, plan: Plan, rows: Row[], log: Log): Promise<void> {
  const due = compact(plan.pipeline.reminders);
  log(`reminder pipeline: ${due} reminders due at once, ${plan.pipeline.runs} run(s)`);
  const p = await benchPipeline(db, plan.pipeline, log);
  const section = "pipeline";
  rows.push({
    section,
    measure: `job → SMTP, ${due} due at once (claim → last mail)`,
    value: p.emailsPerSecond,
    unit: "emails/s",
    target: "≥ 500",
    met: p.emailsPerSecond >= 500,
  });
  rows.push({ section, measure: "remind_at → SMTP acceptance, p50", value: p.p50Ms / 1000, unit: "s" });
  rows.push({
    section,
    measure: "remind_at → SMTP acceptance, p99",
    value: p.p99Ms / 1000,
    unit: "s",
    target: "≤ 7",
    met: p.p99Ms <= 7_000 && p.missing === 0,
  });
  rows.push({
    section,
    measure: "of which: remind_at → start of the claim",
    value: p.claimWaitMs / 1000,
    unit: "s",
  });
  rows.push({
    section,
    measure: "runs set ahead that the claim alarm claimed at remind_at",
    value: p.alarmClaims,
    unit: "count",
    target: `= ${p.aheadRuns}`,
    met: p.alarmClaims === p.aheadRuns,
  });
  rows.push({
    section,
    measure: "set less than one tick ahead: remind_at → start of the claim",
    value: p.lateClaimWaitMs / 1000,
    unit: "s",
  });
  rows.push({
    section,
    measure: "CPU of the taskbeat start process per mail",
    value: p.appCpuMsPerMail,
    unit: "ms",
  });
  const all = `${compact(p.expected)} due, all runs`;
  rows.push({
    section,
    measure: `reminders mailed (${all})`,
    value: p.mailed,
    unit: "count",
    target: `= ${p.expected}`,
    met: p.mailed === p.expected,
  });
  rows.push({
    section,
    measure: `duplicate mails (${all})`,
    value: p.duplicates,
    unit: "count",
    target: "= 0",
    met: p.duplicates === 0,
  });
}

const format = (value: number) =>
  !Number.isFinite(value)
    ? String(value)
    : Math.abs(value) >= 100
      ? Math.round(value).toLocaleString("en-US")
      : value.toFixed(2);

/** A Markdown table padded the way biome formats one, so a fresh BENCHMARKS.md passes `biome check`. */
export function renderTable(rows: readonly Row[]): string {
  const header = ["Section", "Measure", "Value", "Unit", "Target", "Met"];
  const body = rows.map((r) => [
    r.section,
    r.measure,
    format(r.value),
    r.unit,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "**no**",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? "").length)));
  const valueColumn = 2;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === valueColumn ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === valueColumn ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

const BEGIN = "<!-- bench:begin (generated by npm run bench; edits between the markers are overwritten) -->";
const END = "<!-- bench:end -->";

export function renderReport(rows: readonly Row[], options: BenchOptions): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return [
    BEGIN,
    `Measured ${new Date().toISOString()} on ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}${options.smoke ? " (**smoke run: tiny sizes, not figures**)" : ""}.`,
    "",
    "Reproduce: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench` (a schema of its own, dropped afterwards).",
    "",
    renderTable(rows),
    END,
  ].join("\n");
}

export function writeReport(path: string, report: string): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const start = current.indexOf("<!-- bench:begin");
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${report}${current.slice(end + END.length)}`
      : `# Benchmarks\n\n${report}\n`;
  writeFileSync(path, next);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("bench/run.ts")) {
  const args = process.argv.slice(2);
  const smoke = args.includes("--smoke");
  const outAt = args.indexOf("--out");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",").filter(Boolean) : undefined;
  // A smoke run's figures mean nothing, so it writes a report only where asked to.
  const out =
    outAt >= 0 ? resolve(args[outAt + 1] ?? "") : smoke || only ? undefined : resolve(ROOT, "BENCHMARKS.md");
  const rows = await runBench({ smoke, ...(only ? { only } : {}) });
  process.stdout.write(`${renderTable(rows)}\n`);
  if (out) {
    writeReport(out, renderReport(rows, { smoke }));
    process.stderr.write(`bench: wrote ${out}\n`);
  }
}
