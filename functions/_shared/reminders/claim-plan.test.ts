/**
 * The claim's cost follows the due reminders, not the tables: with 20k tasks, a sent history and 5k
 * future reminders (ANALYZEd), its plan reaches reminders only through reminders_due_idx and tasks
 * only by primary key — never a sequential scan — both in the steady state and with a backlog.
 * The same holds for the sweep of stuck published reminders, through reminders_published_idx.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../../../test/support/db.js";
import { claimStatement, DEFAULT_BATCH_SIZE } from "./claim.js";
import { reclaimStatement } from "./reclaim.js";

const db = useTestDb("reminders-claim-plan");

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

async function claimPlan(
  statement: ReturnType<typeof claimStatement> | ReturnType<typeof reclaimStatement> = claimStatement(
    db.sql,
    DEFAULT_BATCH_SIZE,
  ),
): Promise<PlanNode[]> {
  const [row] = await db.sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>`
    explain (format json) ${statement}`;
  if (!row) throw new Error("no plan");
  return flatten(row["QUERY PLAN"][0].Plan);
}

const INDEX_READS = ["Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"];
const TASK_INDEXES = ["tasks_pkey", "tasks_id_user_id_key"];

/**
 * Only index reads, of `allowed` indexes or a tasks key; `counts` says how often an index must be read.
 * The claim reads reminders twice through reminders_due_idx (the locking read and the update's).
 */
function expectIndexOnly(
  nodes: PlanNode[],
  allowed: string[] = ["reminders_due_idx"],
  counts: Record<string, number> = { reminders_due_idx: 2 },
) {
  // Every node that reads a table or an index (the Update node itself only writes).
  const reads = nodes.filter(
    (node) => node["Node Type"] !== "ModifyTable" && (node["Relation Name"] ?? node["Index Name"]),
  );
  const shown = reads
    .map((node) => `${node["Node Type"]} ${node["Relation Name"] ?? ""} ${node["Index Name"] ?? ""}`)
    .join("\n");
  expect(
    reads.map((node) => node["Node Type"]).filter((type) => !INDEX_READS.includes(type)),
    shown,
  ).toEqual([]);
  const indexes = reads.flatMap((node) => node["Index Name"] ?? []);
  expect(
    indexes.filter((name) => ![...allowed, ...TASK_INDEXES].includes(name)),
    shown,
  ).toEqual([]);
  for (const [name, count] of Object.entries(counts)) {
    expect(
      indexes.filter((index) => index === name),
      shown,
    ).toHaveLength(count);
  }
  expect(
    indexes.filter((name) => name.startsWith("tasks_")),
    shown,
  ).toHaveLength(1);
}

beforeAll(async () => {
  const { sql } = db;
  await sql`insert into users (email) select 'plan' || g || '@example.com' from generate_series(1, 200) g`;
  await sql`
    insert into tasks (user_id, title, time_zone, due_at)
    select u.id, 'Task ' || g, 'UTC', now() + make_interval(hours => g % 500)
    from generate_series(1, 20000) g
    join (select id, row_number() over (order by id) - 1 as n from users) u on u.n = g % 200`;
  // The history: sent reminders stay, all with past times (what misleads a planner without care).
  await sql`
    insert into reminders (task_id, user_id, remind_at, state, sent_at)
    select id, user_id, now() - interval '1 day' - make_interval(mins => (random() * 10000)::int), 'sent', now()
    from tasks limit 15000`;
  await sql`
    insert into reminders (task_id, user_id, remind_at)
    select id, user_id, now() + interval '1 hour' + random() * interval '10 days'
    from tasks order by random() limit 5000`;
  await sql`
    insert into reminders (task_id, user_id, remind_at)
    select id, user_id, now() - random() * interval '10 minutes' from tasks order by random() limit 20`;
  await sql`analyze`;
}, 120_000);

describe("the claim's plan", () => {
  it("uses reminders_due_idx and the tasks primary key, with no sequential scan", async () => {
    expectIndexOnly(await claimPlan());
  });

  it("still does with a backlog of 3000 due reminders", async () => {
    await db.sql`
      insert into reminders (task_id, user_id, remind_at)
      select id, user_id, now() - random() * interval '1 day' from tasks order by random() limit 3000`;
    await db.sql`analyze reminders`;
    expectIndexOnly(await claimPlan());
  });
});

describe("the sweep's plan", () => {
  it("uses reminders_published_idx, the tasks primary key and the outbox partition index", async () => {
    const { sql } = db;
    // In flight: a few hundred published reminders, most recent, some stuck; and an outage's backlog
    // in the outbox (20k rows), which the "event still waiting" check must look up, not scan.
    await sql`
      insert into reminders (task_id, user_id, remind_at, state, attempts, updated_at)
      select id, user_id, now() - interval '1 hour', 'published', 1,
        now() - case when random() < 0.1 then interval '1 hour' else interval '1 second' end
      from tasks order by random() limit 300`;
    await sql`
      insert into outbox (id, pubsub, topic, partition_key, event)
      select gen_random_uuid(), 'pubsub', 'task-events', id::text, '{}'::jsonb from tasks`;
    await sql`analyze`;
    const plan = await claimPlan(reclaimStatement(sql, DEFAULT_BATCH_SIZE));
    // The update finds each locked row again by primary key: one lookup per swept row.
    expectIndexOnly(plan, ["reminders_published_idx", "reminders_pkey", "outbox_partition_idx"], {
      reminders_published_idx: 1,
      outbox_partition_idx: 1,
    });
  });
});
