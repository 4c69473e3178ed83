/**
 * Two notification instances ticking at once over 200 reminders falling due, one email consumer: the
 * stack's app (every group, its pool, its scheduler's ticks) and a second notification app on its own
 * pool and relay; both have their job route called concurrently every 20 ms. Exactly 200 mails.
 * Needs a PostgreSQL server: PGlite is one session, so nothing there runs concurrently.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { reminderMessageId } from "../../functions/_shared/mail/compose.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import { Relay } from "../../runtime/outbox/relay-runner.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import { seedReminders, seedTasks, seedUser } from "../support/claim-fixtures.js";
import { useTestDb } from "../support/db.js";
import { type Served, serveApp } from "../support/http.js";
import { mailsById, type Stack, settle, startStack } from "./_stack.js";

const embedded = inject("databaseIsEmbedded");
const db = useTestDb("e2e-concurrency", { max: 10 });

describe.skipIf(embedded)(
  "two notification instances (skipped: needs a PostgreSQL server, not PGlite)",
  () => {
    let stack: Stack;
    let second: Served;
    let relay: Relay;
    const pool = embedded
      ? undefined
      : () =>
          postgres(inject("databaseUrl"), {
            max: 5,
            onnotice: () => {},
            connection: { search_path: db.schema },
          });
    let sql: ReturnType<NonNullable<typeof pool>>;

    beforeAll(async () => {
      stack = await startStack(db);
      sql = (pool as NonNullable<typeof pool>)();
      relay = new Relay(sql, stack.dapr, { retryInitialMs: 100, retryMaxMs: 500 });
      second = await serveApp(
        createApp({
          registry,
          groups: ["notification"],
          sql,
          dapr: stack.dapr,
          log: silentLogger,
          metrics: new RuntimeMetrics(),
          lifecycle: new Lifecycle(),
          onEventsCommitted: () => relay.kick(),
        }),
      );
    });
    afterAll(async () => {
      await second?.close();
      await relay?.close();
      await sql?.end({ timeout: 5 });
      await stack?.close();
    });

    it("200 reminders falling due while both tick → exactly 200 mails, one per reminder", async () => {
      const user = await seedUser(db.sql);
      // One every 5 ms from now: most ticks find newly due ones, so the instances race for them.
      const ids = await seedReminders(db.sql, await seedTasks(db.sql, user, 100), {
        inSeconds: 0,
        stepSeconds: 0.005,
        perTask: 2,
      });
      const tick = (url: string) =>
        fetch(`${url}/job/check-due-tasks`, {
          method: "POST",
          headers: { "content-type": "application/json" },
        });
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        const answers = await Promise.all([tick(stack.served.url), tick(second.url)]);
        expect(answers.map((a) => a.status)).toEqual([204, 204]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      await expect.poll(() => mailsById(stack.smtp).size, { timeout: 20_000, interval: 100 }).toBe(200);
      await relay.idle();
      await settle(db, stack);

      const mails = mailsById(stack.smtp);
      expect([...mails.keys()].sort()).toEqual(ids.map(reminderMessageId).sort());
      expect(stack.smtp.received).toHaveLength(200);
      const states = await db.sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from reminders where id = any(${ids}::uuid[]) group by state`;
      expect(states).toEqual([{ state: "sent", n: 200 }]);
    });
  },
);
