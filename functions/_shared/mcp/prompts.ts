/**
 * The `daily_review` prompt: what is overdue, due today and due in the next week, with "today" taken
 * in the person's time zone, ready for the assistant to help plan the day. One query; each group is
 * capped so a long-neglected list still makes a prompt of reasonable size.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Sql } from "postgres";
import type { McpRequestExtra } from "../../../runtime/mcp/server.js";
import type { ToolContext, User } from "../domain/context.js";

const PER_GROUP = 20;
const UPCOMING_DAYS = 7;

type Group = "overdue" | "today" | "upcoming";

interface DueRow {
  id: string;
  title: string;
  priority: string;
  due_at: Date;
  grp: Group;
  total: number;
}

export function registerDailyReview(
  server: Server,
  ctxFactory: (extra: McpRequestExtra) => ToolContext,
): void {
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: [
      {
        name: "daily_review",
        title: "Daily review",
        description: `Review your open tasks that are overdue, due today or due in the next ${UPCOMING_DAYS} days (in your time zone), and plan the day.`,
        arguments: [],
      },
    ],
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    if (request.params.name !== "daily_review") {
      throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
    }
    const { sql, user } = ctxFactory(extra);
    const text = renderReview(user, await dueTasks(sql, user), new Date());
    return {
      description: "Overdue, due today and upcoming tasks",
      messages: [{ role: "user" as const, content: { type: "text" as const, text } }],
    };
  });
}

async function dueTasks(sql: Sql, user: User): Promise<DueRow[]> {
  // Day edges are computed on local wall-clock time and converted back, so a DST change is handled.
  return sql<DueRow[]>`
    with edges as (
      select (d + interval '1 day') at time zone ${user.timeZone} as tomorrow,
        (d + ${`${UPCOMING_DAYS + 1} days`}::interval) at time zone ${user.timeZone} as horizon
      from (select date_trunc('day', now() at time zone ${user.timeZone}) as d) today
    ), grouped as (
      select t.id, t.title, t.priority, t.due_at,
        case when t.due_at < now() then 'overdue' when t.due_at < e.tomorrow then 'today' else 'upcoming' end as grp
      from tasks t cross join edges e
      where t.user_id = ${user.id} and not t.completed and t.due_at < e.horizon
    ), ranked as (
      select *, count(*) over (partition by grp)::int as total,
        row_number() over (partition by grp order by due_at, id) as n
      from grouped
    )
    select id, title, priority, due_at, grp, total from ranked where n <= ${PER_GROUP} order by due_at, id`;
}

const HEADINGS: Record<Group, string> = {
  overdue: "Overdue",
  today: "Due today",
  upcoming: `Due in the next ${UPCOMING_DAYS} days`,
};

function renderReview(user: User, rows: DueRow[], now: Date): string {
  const day = new Intl.DateTimeFormat("en-GB", { timeZone: user.timeZone, dateStyle: "full" });
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone: user.timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  const sections = (Object.keys(HEADINGS) as Group[]).map((group) => {
    const items = rows.filter((row) => row.grp === group);
    const total = items[0]?.total ?? 0;
    const lines = items.map(
      (row) =>
        `- “${row.title.replace(/\s+/g, " ")}” (${row.priority} priority, due ${when.format(row.due_at)}, id ${row.id})`,
    );
    if (total > items.length) lines.push(`- …and ${total - items.length} more (list_tasks shows them all)`);
    return `${HEADINGS[group]} (${total}):\n${lines.join("\n") || "- nothing"}`;
  });
  return [
    `Let's review my tasks for ${day.format(now)} (time zone ${user.timeZone}).`,
    ...sections,
    "Help me plan the day: what to tackle first, what to reschedule and what to drop. " +
      "Make the changes I agree to with the taskbeat tools (update_task, complete_task, …).",
  ].join("\n\n");
}
