/**
 * Chaos: `taskbeat serve --group backend` (the process a backend pod runs) behind the local sidecar,
 * MCP add_task calls streaming in over real HTTP, and every PostgreSQL session of that process
 * terminated (pg_terminate_backend) every 150 ms for 20 s, three times. The process must stay up,
 * answer again within a second of the kills stopping (its pool reconnects by itself), lose nothing it
 * acknowledged, answer every call it could not complete with an MCP error (never a dropped connection
 * or a non-JSON body), and log each such failure as one JSON line.
 *
 * Before the driver fix (postgres.js 3.4.9, porsager/postgres#1154/#1208) this crashed the process with
 * an uncaught `TypeError: Cannot read properties of null (reading 'write')` in `nextWrite`.
 * Needs a real PostgreSQL (DATABASE_URL, or a container); skipped on embedded PGlite.
 */
import { randomUUID } from "node:crypto";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalSidecar, startSidecar } from "../../runtime/dev-sidecar/sidecar.js";
import { silentLogger } from "../../runtime/log.js";
import {
  type CallOutcome,
  callTool,
  runTaskbeat,
  spawnTaskbeat,
  startSessionKiller,
  type TaskbeatProcess,
} from "../support/chaos.js";
import { useTestDb } from "../support/db.js";
import { freePort } from "../support/ports.js";

const embedded = inject("databaseIsEmbedded");
const db = useTestDb("chaos-connection-kills");

const PHASES = 3;
const KILL_PHASE_MS = 20_000;
const KILL_EVERY_MS = 150;
const CONCURRENT_CALLS = 8;
/** The bound: the process answers again within a second of the kills stopping. */
const RECOVERY_BOUND_MS = 1_000;
/**
 * How long a call may take before it counts as unanswered. A call waits at most about a second for a
 * reconnect (runtime/db/client.ts); postgres.js' own backoff made some wait 16–20 s, which the
 * assistant sees as a hang.
 */
const CALL_TIMEOUT_MS = 5_000;
/** What taskbeat logs, once, for a call it answered with an error. */
const CALL_FAILURE_LOGS = ["tool failed", "token check failed", "mcp request failed"];

// A name no other connection has: the killer terminates this process's sessions and nobody else's.
const applicationName = `taskbeat-chaos-${process.pid}-${randomUUID().slice(0, 8)}`;

let admin: Sql | undefined;
let sidecar: LocalSidecar | undefined;
let app: TaskbeatProcess | undefined;
afterAll(async () => {
  if (app?.alive()) {
    app.child.kill("SIGTERM");
    const timer = setTimeout(() => app?.child.kill("SIGKILL"), 5_000);
    await app.exited;
    clearTimeout(timer);
  }
  await sidecar?.close();
  await admin?.end({ timeout: 5 });
});

/** Non-JSON stderr lines: an uncaught exception's stack, or anything else written around the logger. */
const unstructured = (lines: string[]) =>
  lines.filter((line) => {
    try {
      return typeof JSON.parse(line) !== "object";
    } catch {
      return true;
    }
  });

describe.skipIf(embedded)(
  `session kills under load${embedded ? " (skipped: needs a real PostgreSQL to terminate sessions in)" : ""}`,
  () => {
    let mcpUrl = "";
    let token = "";

    beforeAll(async () => {
      // The user and its token through the CLI, as an operator makes them.
      const created = await runTaskbeat(
        ["users", "create", "--email", `chaos.${process.pid}@example.com`, "--tz", "UTC"],
        { DATABASE_URL: db.url },
      );
      expect(created.code, created.stderr).toBe(0);
      token = created.stdout.trim().split("\n").at(-1) ?? "";

      const appPort = await freePort();
      sidecar = await startSidecar({
        appUrl: `http://127.0.0.1:${appPort}`,
        appId: "backend",
        log: silentLogger,
      });
      const url = new URL(db.url);
      url.searchParams.set("application_name", applicationName);
      app = spawnTaskbeat(["serve", "--group", "backend"], {
        DATABASE_URL: url.toString(),
        PORT: String(appPort),
        HOST: "127.0.0.1",
        DAPR_HTTP_PORT: String(sidecar.port),
        SHUTDOWN_GRACE_MS: "2000",
        LOG_LEVEL: "info",
      });
      await app.waitForLog("listening");
      await sidecar.ready();
      mcpUrl = `http://127.0.0.1:${appPort}/mcp`;
      admin = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    });

    it("stays up, answers again within a second, and loses nothing it acknowledged", async () => {
      const running = app as TaskbeatProcess;
      const acknowledged: string[] = [];
      const outcomes: CallOutcome[] = [];
      const phases: { killed: number; calls: number; failed: number; recoveryMs: number }[] = [];
      let n = 0;

      const addTask = async () => {
        const outcome = await callTool(mcpUrl, token, "add_task", { title: `chaos ${++n}` }, CALL_TIMEOUT_MS);
        outcomes.push(outcome);
        if (outcome.kind === "ok") acknowledged.push((outcome.structured.task as { id: string }).id);
        return outcome;
      };

      for (let phase = 0; phase < PHASES; phase++) {
        const before = outcomes.length;
        let load = true;
        const workers = Array.from({ length: CONCURRENT_CALLS }, async () => {
          while (load && running.alive()) await addTask();
        });
        const killer = startSessionKiller(admin as Sql, applicationName, KILL_EVERY_MS);
        await new Promise((resolve) => setTimeout(resolve, KILL_PHASE_MS));
        const killed = await killer.stop();
        const stoppedAt = performance.now();

        // The first call that starts after the kills stopped must succeed within the bound.
        let recoveryMs = Number.POSITIVE_INFINITY;
        while (running.alive() && performance.now() - stoppedAt < 30_000) {
          if ((await addTask()).kind === "ok") {
            recoveryMs = performance.now() - stoppedAt;
            break;
          }
        }
        load = false;
        await Promise.all(workers);

        const calls = outcomes.slice(before);
        phases.push({
          killed,
          calls: calls.length,
          failed: calls.filter((o) => o.kind !== "ok").length,
          recoveryMs: Math.round(recoveryMs),
        });
        expect(
          running.alive(),
          `taskbeat serve died in phase ${phase + 1}:\n${unstructured(running.stderrLines).join("\n")}`,
        ).toBe(true);
        expect(killed, "the killer found the app's sessions").toBeGreaterThan(0);
        expect(recoveryMs, `phase ${phase + 1}: answered again after the kills stopped`).toBeLessThan(
          RECOVERY_BOUND_MS,
        );
      }
      console.info(`session kills: ${JSON.stringify(phases)}`);

      // Every call got an answer an MCP client understands: success, or an error it can act on.
      const unexpected = outcomes.filter(
        (o) =>
          !(
            o.kind === "ok" ||
            (o.kind === "tool-error" && o.code === "INTERNAL_ERROR") ||
            o.kind === "rpc-error"
          ),
      );
      // What taskbeat logged for them (each call sends its own traceparent), to tell a hang from a loss.
      const traces = new Set(unexpected.map((o) => ("traceId" in o ? o.traceId : "")));
      const logged = running.stderrLines.filter((line) =>
        [...traces].some((trace) => trace && line.includes(trace)),
      );
      expect(unexpected, `taskbeat's log for those calls:\n${logged.join("\n")}`).toEqual([]);
      // Sanity: the kills did make calls fail.
      expect(outcomes.some((o) => o.kind !== "ok")).toBe(true);

      // Nothing acknowledged is lost.
      const found = await db.sql<
        { id: string }[]
      >`select id from tasks where id = any(${acknowledged}::uuid[])`;
      expect(found.length).toBe(acknowledged.length);

      // The log stayed structured (no stack printed around it), and each failed call is one JSON line
      // at level error (the tool's INTERNAL_ERROR, or the token check the database did not answer).
      const failedCalls = outcomes.filter((o) => o.kind !== "ok").length;
      const failureLines = () =>
        running.stderrLines
          .map((line) => JSON.parse(line) as { level: string; msg: string })
          .filter((line) => line.level === "error" && CALL_FAILURE_LOGS.includes(line.msg)).length;
      await expect.poll(failureLines, { timeout: 2_000 }).toBe(failedCalls);
      expect(unstructured(running.stderrLines)).toEqual([]);
      const byKind: Record<string, number> = {};
      for (const o of outcomes) {
        const key =
          o.kind === "tool-error" ? o.code : o.kind === "rpc-error" ? `rpc ${o.status} ${o.code}` : o.kind;
        byKind[key] = (byKind[key] ?? 0) + 1;
      }
      console.info(`outcomes: ${JSON.stringify(byKind)}`);

      // The whole pool came back: enough calls at once to go through every connection, and none of
      // them hangs on a connection left waiting for an answer its dead socket never gave.
      const after = await Promise.all(Array.from({ length: 40 }, () => addTask()));
      expect(after.filter((o) => o.kind !== "ok")).toEqual([]);
    }, 150_000);
  },
);
