/**
 * Keeps `npm run bench` working: runs its smoke version (tiny sizes, seconds) and checks that the table
 * has every row with a finite number. Never asserts a time or a target: those are for BENCHMARKS.md.
 * It takes ~35 s, so it runs where CI is set (CI sets it; so can you: `CI=1 npm test`), not in the
 * developer's `npm test` loop.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, inject, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

it.skipIf(inject("databaseIsEmbedded") || !process.env.CI)(
  "bench --smoke prints every row with a finite value and writes the report (CI only)",
  () => {
    const out = join(mkdtempSync(join(tmpdir(), "taskbeat-bench-")), "BENCHMARKS.md");
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke", "--out", out], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
      // Every section in its smoke size: ~35 s on a quiet 2-core machine, more while other test files run.
      timeout: 170_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| Section") && !/^\|\s*-/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const measures = rows.map((cells) => cells[2]);
    for (const expected of [
      "taskbeat route, 1 CloudEvent",
      "bare Hono route, 1 CloudEvent",
      "DaprServer, 1 CloudEvent",
      "taskbeat / DaprServer, bulk of 10",
      "taskbeat / bare route, bulk of 10",
      "RSS of the router process, peak under delivery load",
      "serve --group email: spawn → /readyz 200",
      "RSS of serve --group email, idle",
      "remind_at → SMTP acceptance, p50",
      "remind_at → SMTP acceptance, p99",
      "of which: remind_at → start of the claim",
      "set less than one tick ahead: remind_at → start of the claim",
      "CPU of the taskbeat start process per mail",
      "add_task (1 client), p50",
      "add_task (1 client), p99",
      "list_tasks (1 client), p50",
      "list_tasks (1 client), p99",
      "search_tasks (1 client), p50",
      "search_tasks (1 client), p99",
      "failed or unexpected MCP answers",
    ]) {
      expect(measures).toContain(expected);
    }
    expect(measures.some((m) => m?.startsWith("claim + enqueue"))).toBe(true);
    expect(measures.some((m) => m?.startsWith("drainOutbox"))).toBe(true);
    for (const pipeline of ["job → SMTP", "reminders mailed", "duplicate mails"]) {
      expect(measures.some((m) => m?.startsWith(pipeline))).toBe(true);
    }
    for (const cells of rows) {
      const value = Number(cells[3]?.replaceAll(",", ""));
      expect(Number.isFinite(value), `${cells[2]}: ${cells[3]}`).toBe(true);
    }
    expect(readFileSync(out, "utf8")).toContain("npm run bench");
  },
  180_000,
);
