/**
 * The MCP tools' caller and context: a personal token (`taskbeat users token`) names a user, and every
 * tool works for that user only. Resources (`task://{id}`) and the `daily_review` prompt sit beside the tools.
 */
import { defineMcp, defineSetup } from "../../runtime/define.js";
import { authenticate } from "../_shared/auth/tokens.js";
import type { ToolContext, User } from "../_shared/domain/context.js";
import { registerDailyReview } from "../_shared/mcp/prompts.js";
import { registerTaskResource } from "../_shared/mcp/resources.js";

const INSTRUCTIONS = `taskbeat keeps the signed-in person's tasks, categories, tags and reminders.
Dates are ISO 8601 or English words ("tomorrow 9am", "next friday", "in 2 hours", "end of month"), read in
the task's or the person's time zone; a date without a time means the end of that day there. You have no
clock: call get_settings for the current local date-time and weekday (local_time, weekday) before working
out dates yourself. Answers show how words were read ("understood") and flag likely mistakes ("warnings").
Failed calls answer isError with a code first ("TASK_NOT_FOUND: …") and a sentence you can repeat.`;

export const taskMcp = defineMcp<User, ToolContext>({
  serverName: "taskbeat",
  instructions: INSTRUCTIONS,
  authenticate,
  context: (base, user) => ({ ...base, user }),
  describe: (user) => user.id,
  extend(server, contextOf) {
    registerTaskResource(server, contextOf);
    registerDailyReview(server, contextOf);
  },
  tokenHelp: {
    missing: "`taskbeat users create --email <email>` (or `taskbeat users token <email>`) prints one.",
    invalid: "issue a new one with `taskbeat users token <email>`.",
  },
});

export default defineSetup({ mcp: taskMcp });
