/**
 * The reminder pipeline, end to end, as `npm start` runs it: `node bin/taskbeat.mjs start` (every
 * group, the local sidecar, the shipped job schedules) on the bench schema, mailing through SMTP_URL to
 * an SMTP server in this process. Each run inserts `reminders` reminders sharing one `remind_at`, so
 * they fall due together; check-due-tasks claims them into the outbox, the relay publishes them
 * through the sidecar, the sidecar bulk-delivers them to the email handler, which mails each one.
 *
 * The reminders are inserted before a tick and fall due 150 ms after it, the phase in which a claim
 * made only by ticks waits longest (a whole period minus 150 ms). The tick before `remind_at` sees them
 * coming and sets the claim alarm (functions/_shared/reminders/claim-alarm.ts), which claims them at `remind_at`;
 * "claim wait" shows which of the two claimed them. The latency of a mail runs from `remind_at` to the
 * SMTP server's acceptance (just before its 250 reply); throughput counts from the start of the claim
 * to the last acceptance. Every reminder must be mailed exactly once: after the last one, the run
 * waits for the pipeline to go quiet, so late duplicates count too. A last, smaller run inserts its
 * reminders just after a tick, due before the next: the alarm cannot have seen them, and they show
 * what a reminder set less than one period ahead waits.
 *
 * `seedBeforeStart` (the smoke run) inserts the first run's reminders, already due, before the app
 * starts, so the tick at job registration claims them and nothing waits for a period.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "postgres";
import type { BenchDb } from "./lib/db.js";
import { JobTicks, jobPeriodMs } from "./lib/job-ticks.js";
import { cpuMs, median } from "./lib/proc.js";
import { type SmtpSink, startSmtpSink } from "./lib/smtp-sink.js";
import { startTaskbeat, type TaskbeatStart } from "./lib/taskbeat-start.js";

export interface PipelinePlan {
  reminders: number;
  runs: number;
  seedBeforeStart: boolean;
  /** After the last expected mail, how long nothing more must arrive before a run counts (ms). */
  quietMs: number;
  /** Reminders of a first, unmeasured run that warms the app up (JIT); 0 for none. */
  warmupReminders: number;
  /**
   * Reminders of a last run inserted just after a tick and due before the next, which the alarm cannot
   * have seen: what a reminder set less than one period ahead waits; 0 for none.
   */
  lateReminders: number;
}

/** One run; times in ms, relative to the start of the claim unless said otherwise. */
export interface PipelineRun {
  expected: number;
  /** Distinct reminders whose mail the SMTP server accepted. */
  mailed: number;
  /** Acceptances beyond the first per reminder. */
  duplicates: number;
  /** Reminders never mailed within the run's deadline. */
  missing: number;
  emailsPerSecond: number;
  /** remind_at → SMTP acceptance, over the mailed reminders. */
  p50Ms: number;
  p99Ms: number;
  /** remind_at → the start of the claim (by the alarm, or by a tick when the alarm missed them). */
  claimWaitMs: number;
  /** The claim's end, as check-due-tasks logged it. */
  claimedMs: number;
  /** What started the claim, as logged: "alarm" or "tick". */
  claimTrigger: string;
  /** The outbox seen empty again (every event handed to the sidecar). */
  relayedMs: number;
  firstMailMs: number;
  lastMailMs: number;
  /**
   * CPU the app process (app, relay, job and sidecar: one process under `start`) spent per mail, ms:
   * steadier than the rates when other work shares the machine.
   */
  appCpuMsPerMail: number;
}

export interface PipelineResult {
  reminders: number;
  runs: PipelineRun[];
  /** Medians over the runs. */
  emailsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  claimWaitMs: number;
  appCpuMsPerMail: number;
  /** Measured runs inserted ahead of their tick (not due at start-up), and those the alarm claimed. */
  aheadRuns: number;
  alarmClaims: number;
  /** The late run's remind_at → claim (NaN without one). */
  lateClaimWaitMs: number;
  /** Sums over the runs, the warm-up's and the late run's included. */
  expected: number;
  mailed: number;
  duplicates: number;
  missing: number;
}

const TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"];
const PRIORITIES = ["low", "medium", "high", "urgent"];
/** How far after a tick remind_at falls (an upper bound of the tick is known, within a few ms). */
const AFTER_TICK_MS = 150;
/** Time to insert a run's reminders before their tick comes. */
const SEED_LEAD_MS = 500;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One task per reminder, five per user, in a few time zones and with a description, like real mail. */
async function seedTasks(sql: Sql, count: number): Promise<void> {
  const users = Math.ceil(count / 5);
  await sql`
    insert into users (email, display_name, time_zone)
    select 'pipeline' || g || '@bench.test', 'Bench user ' || g, (${TIMEZONES}::text[])[1 + g % 4]
    from generate_series(1, ${users}) g`;
  await sql`
    insert into tasks (user_id, title, description, priority, time_zone, due_at)
    select u.id, 'Bench reminder ' || g, 'Seeded by bench/pipeline.ts; task ' || g || '.',
      (${PRIORITIES}::text[])[1 + g % 4], u.time_zone, now() + interval '1 day'
    from generate_series(1, ${count}) g
    join (select id, time_zone, row_number() over (order by email) as n from users) u
      on u.n = 1 + (g - 1) / 5`;
  await sql.unsafe("vacuum analyze users, tasks");
}

/** `count` reminders on as many tasks, all at `remindAt`; their ids. */
async function seedReminders(sql: Sql, remindAt: Date, count: number): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`
    insert into reminders (task_id, user_id, remind_at)
    select id, user_id, ${remindAt} from tasks limit ${count}
    returning id`;
  return new Set(rows.map((r) => r.id));
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

interface Watch {
  sink: SmtpSink;
  app: TaskbeatStart;
  sql: Sql;
}

/**
 * Waits for the run's mails, then for quiet; reads the rest from the database and the app's log.
 * `claimTick` is the latest moment the reminders can be claimed (the tick after `remindAt`).
 */
async function observeRun(
  watch: Watch,
  ids: Set<string>,
  remindAt: number,
  claimTick: number,
  quietMs: number,
): Promise<PipelineRun> {
  const { sink, sql } = watch;
  const cpuBefore = cpuMs(watch.app.process.pid);
  const firstSeen = sink.accepted.length;
  const deadline = claimTick + 20_000 + ids.size * 20;
  let lastOutboxRows = remindAt;
  let seen = firstSeen;
  let lastArrival = Date.now();
  const mailedIds = new Set<string>();
  for (;;) {
    await sleep(POLL_MS);
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from outbox`;
    if ((row?.n ?? 0) > 0) lastOutboxRows = Date.now();
    for (; seen < sink.accepted.length; seen++) {
      const mail = sink.accepted[seen];
      if (mail && ids.has(mail.reminderId)) mailedIds.add(mail.reminderId);
      lastArrival = Date.now();
    }
    const now = Date.now();
    if (now > deadline) break;
    if (mailedIds.size >= ids.size && now - lastArrival >= quietMs && (row?.n ?? 0) === 0) break;
  }
  const appCpuMs = cpuMs(watch.app.process.pid) - cpuBefore;
  const mails = sink.accepted.slice(firstSeen).filter((m) => ids.has(m.reminderId));
  const first = new Map<string, number>();
  for (const mail of mails) if (!first.has(mail.reminderId)) first.set(mail.reminderId, mail.at);
  const latencies = [...first.values()].map((at) => at - remindAt).sort((a, b) => a - b);
  const acceptTimes = [...first.values()].sort((a, b) => a - b);
  const lastMail = acceptTimes.at(-1) ?? Number.NaN;
  // The first claim at or after remind_at; it logs when it ended and how long it took.
  const claimLine = watch.app
    .readLog()
    .find((l) => l.msg === "due reminders claimed" && Date.parse(String(l.time)) >= remindAt);
  const claimedAt = claimLine ? Date.parse(String(claimLine.time)) : Number.NaN;
  const claimStart = claimedAt - Number(claimLine?.ms ?? Number.NaN);
  return {
    expected: ids.size,
    mailed: first.size,
    duplicates: mails.length - first.size,
    missing: ids.size - first.size,
    emailsPerSecond: first.size / ((lastMail - claimStart) / 1000),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    claimWaitMs: claimStart - remindAt,
    claimedMs: claimedAt - claimStart,
    claimTrigger: String(claimLine?.trigger ?? "none"),
    relayedMs: lastOutboxRows + POLL_MS - claimStart,
    firstMailMs: (acceptTimes[0] ?? Number.NaN) - claimStart,
    lastMailMs: lastMail - claimStart,
    appCpuMsPerMail: appCpuMs / Math.max(1, first.size),
  };
}

/** A run whose reminders are inserted before a tick and fall due just after it. */
async function afterTickRun(watch: Watch, ticks: JobTicks, count: number, quietMs: number) {
  const tick = ticks.next(Date.now() + SEED_LEAD_MS);
  const remindAt = tick + AFTER_TICK_MS;
  const ids = await seedReminders(watch.sql, new Date(remindAt), count);
  if (Date.now() >= remindAt) throw new Error("pipeline: seeding took longer than the lead it had");
  return { ids, run: await observeRun(watch, ids, remindAt, tick + ticks.periodMs, quietMs) };
}

/** A run whose reminders are inserted just after a tick and fall due before the next one. */
async function lateSetRun(watch: Watch, ticks: JobTicks, count: number, quietMs: number) {
  const tick = ticks.next(Date.now() + AFTER_TICK_MS);
  await sleep(tick + AFTER_TICK_MS - Date.now());
  const remindAt = tick + 2 * AFTER_TICK_MS;
  const ids = await seedReminders(watch.sql, new Date(remindAt), count);
  if (Date.now() >= remindAt) throw new Error("pipeline: seeding took longer than the lead it had");
  return { ids, run: await observeRun(watch, ids, remindAt, tick + ticks.periodMs, quietMs) };
}

/**
 * A run's counts again, from every mail accepted until now: a duplicate that arrives during a later
 * run belongs to the run of its reminder.
 */
function recount(run: PipelineRun, ids: Set<string>, sink: SmtpSink): PipelineRun {
  const mails = sink.accepted.filter((m) => ids.has(m.reminderId));
  const mailed = new Set(mails.map((m) => m.reminderId)).size;
  return { ...run, mailed, duplicates: mails.length - mailed, missing: ids.size - mailed };
}

const describeRun = (r: PipelineRun) =>
  `${r.mailed}/${r.expected} mailed, ${r.duplicates} duplicates; ${Math.round(r.emailsPerSecond)} emails/s; ` +
  `p50 ${Math.round(r.p50Ms)} ms, p99 ${Math.round(r.p99Ms)} ms; claim wait ${Math.round(r.claimWaitMs)} ms, ` +
  `by the ${r.claimTrigger}, then claimed +${Math.round(r.claimedMs)}, relayed +${Math.round(r.relayedMs)}, first mail ` +
  `+${Math.round(r.firstMailMs)}, last mail +${Math.round(r.lastMailMs)} ms; ` +
  `app CPU ${r.appCpuMsPerMail.toFixed(2)} ms/mail`;

export async function benchPipeline(
  db: BenchDb,
  plan: PipelinePlan,
  log: (msg: string) => void = () => {},
): Promise<PipelineResult> {
  const dir = mkdtempSync(join(tmpdir(), "taskbeat-pipeline-"));
  const sink = await startSmtpSink();
  let app: TaskbeatStart | undefined;
  const runs: PipelineRun[] = [];
  let warmup: PipelineRun | undefined;
  let late: PipelineRun | undefined;
  try {
    await seedTasks(db.sql, plan.reminders);
    let early: { ids: Set<string>; remindAt: number } | undefined;
    if (plan.seedBeforeStart) {
      const remindAt = Date.now();
      early = { ids: await seedReminders(db.sql, new Date(remindAt), plan.reminders), remindAt };
    }
    const logFile = join(dir, "taskbeat.log");
    app = await startTaskbeat({ databaseUrl: db.url, smtpUrl: sink.url, logFile, home: dir });
    const watch = { sink, app, sql: db.sql };
    log(`pipeline: taskbeat start is up (log: ${logFile})`);
    const observed: Array<{ ids: Set<string>; run: PipelineRun }> = [];
    if (early) {
      // The tick at job registration fires as the app comes up.
      const run = await observeRun(watch, early.ids, early.remindAt, Date.now(), plan.quietMs);
      observed.push({ ids: early.ids, run });
      log(`pipeline run 1 (due at start-up): ${describeRun(run)}`);
    }
    const ticks = new JobTicks(app.daprUrl, jobPeriodMs(), app.daprToken);
    // Two quiet runs the first time: the one at start-up may have been slow to end.
    let quietRuns = 2;
    if (plan.warmupReminders > 0) {
      await ticks.observe(quietRuns, 4 * ticks.periodMs);
      quietRuns = 1;
      const warm = await afterTickRun(watch, ticks, plan.warmupReminders, plan.quietMs);
      log(`pipeline warm-up (not measured): ${describeRun(warm.run)}`);
      warmup = warm.run;
      observed.unshift(warm);
    }
    while (observed.length - (warmup ? 1 : 0) < plan.runs) {
      await ticks.observe(quietRuns, 4 * ticks.periodMs);
      quietRuns = 1;
      const measured = await afterTickRun(watch, ticks, plan.reminders, plan.quietMs);
      observed.push(measured);
      log(`pipeline run ${observed.length - (warmup ? 1 : 0)}: ${describeRun(measured.run)}`);
    }
    let lateSet: { ids: Set<string>; run: PipelineRun } | undefined;
    if (plan.lateReminders > 0) {
      await ticks.observe(quietRuns, 4 * ticks.periodMs);
      lateSet = await lateSetRun(watch, ticks, plan.lateReminders, plan.quietMs);
      log(`pipeline late-set run (not in the medians): ${describeRun(lateSet.run)}`);
    }
    const final = observed.map(({ ids, run }) => recount(run, ids, sink));
    if (warmup) warmup = final.shift();
    runs.push(...final);
    if (lateSet) late = recount(lateSet.run, lateSet.ids, sink);
  } finally {
    await app?.stop();
    await sink.stop();
    // The app's log is kept when a run lost or duplicated mail, to see why.
    const all = [...(warmup ? [warmup] : []), ...runs, ...(late ? [late] : [])];
    if (runs.length === plan.runs && all.every((r) => r.missing === 0 && r.duplicates === 0))
      rmSync(dir, { recursive: true, force: true });
    else log(`pipeline: kept ${dir} (the app's log)`);
  }
  const med = (pick: (r: PipelineRun) => number) => median(runs.map(pick));
  // Exactly once holds for every mail, the warm-up's and the late run's included.
  const checked = [...(warmup ? [warmup] : []), ...runs, ...(late ? [late] : [])];
  const ahead = plan.seedBeforeStart ? runs.slice(1) : runs;
  const sum = (pick: (r: PipelineRun) => number) => checked.reduce((total, r) => total + pick(r), 0);
  return {
    reminders: plan.reminders,
    runs,
    emailsPerSecond: med((r) => r.emailsPerSecond),
    p50Ms: med((r) => r.p50Ms),
    p99Ms: med((r) => r.p99Ms),
    claimWaitMs: med((r) => r.claimWaitMs),
    appCpuMsPerMail: med((r) => r.appCpuMsPerMail),
    aheadRuns: ahead.length,
    alarmClaims: ahead.filter((r) => r.claimTrigger === "alarm").length,
    lateClaimWaitMs: late?.claimWaitMs ?? Number.NaN,
    expected: sum((r) => r.expected),
    mailed: sum((r) => r.mailed),
    duplicates: sum((r) => r.duplicates),
    missing: sum((r) => r.missing),
  };
}
