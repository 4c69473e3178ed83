/**
 * The claim's cost follows the due reminders, not the tables: with 20k tasks, a sent history and 5k
 * future reminders (ANALYZEd), its plan reaches reminders only through reminders_due_idx and tasks
 * only by primary key — never a sequential scan — both in the steady state and with a backlog.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../../test/support/db.js";
import { claimStatement, DEFAULT_BATCH_SIZE } from "./claim.js";

const db = useTestDb("reminders-claim-plan");

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

async function claimPlan(): Promise<PlanNode[]> {
  const [row] = await db.sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>`
    explain (format json) ${claimStatement(db.sql, DEFAULT_BATCH_SIZE)}`;
  if (!row) throw new Error("no plan");
  return flatten(row["QUERY PLAN"][0].Plan);
}

const INDEX_READS = ["Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"];
const ALLOWED_INDEXES = ["reminders_due_idx", "tasks_pkey", "tasks_id_user_id_key"];

function expectIndexOnly(nodes: PlanNode[]) {
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
    indexes.filter((name) => !ALLOWED_INDEXES.includes(name)),
    shown,
  ).toEqual([]);
  // Both reads of reminders (the locking one and the update's) go through the partial index.
  expect(
    indexes.filter((name) => name === "reminders_due_idx"),
    shown,
  ).toHaveLength(2);
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
