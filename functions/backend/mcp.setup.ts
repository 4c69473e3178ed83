/**
 * The MCP tools' caller and context: a personal token (`taskbeat users token`) or an OAuth access token
 * (functions/_shared/oauth) names a user, and every tool works for that user only. Resources (`task://{id}`) and the `daily_review` prompt sit beside the tools.
 */
import { defineMcp, defineSetup } from "../../runtime/define.js";
import { authenticate, TOKEN_PREFIX } from "../_shared/auth/tokens.js";
import type { ToolContext, User } from "../_shared/domain/context.js";
import { registerDailyReview } from "../_shared/mcp/prompts.js";
import { registerTaskResource } from "../_shared/mcp/resources.js";
import { authenticateBearer } from "../_shared/oauth/bearer.js";
import { oauthSettings } from "../_shared/oauth/settings.js";

const INSTRUCTIONS = `taskbeat keeps the signed-in person's tasks, categories, tags and reminders.
Dates are ISO 8601 or English words ("tomorrow 9am", "next friday", "in 2 hours", "end of month"), read in
the task's or the person's time zone; a date without a time means the end of that day there. You have no
clock: call get_settings for the current local date-time and weekday (local_time, weekday) before working
out dates yourself. Answers show how words were read ("understood") and flag likely mistakes ("warnings").
Failed calls answer isError with a code first ("TASK_NOT_FOUND: …") and a sentence you can repeat.`;

export const taskMcp = defineMcp<User, ToolContext>({
  serverName: "taskbeat",
  instructions: INSTRUCTIONS,
  // Personal tokens first, unchanged; anything else may be an OAuth access token.
  authenticate: (sql, token) =>
    token.startsWith(TOKEN_PREFIX) ? authenticate(sql, token) : authenticateBearer(sql, token),
  // RFC 9728 §5.1: a 401 tells the client where the resource's metadata (and so its sign-in) is.
  challenge: () => ({ resource_metadata: oauthSettings().resourceMetadataUrl }),
  context: (base, user) => ({ ...base, user }),
  describe: (user) => user.id,
  extend(server, contextOf) {
    registerTaskResource(server, contextOf);
    registerDailyReview(server, contextOf);
  },
  tokenHelp: {
    missing: "`taskbeat users create --email <email>` (or `taskbeat users token <email>`) prints one.",
    invalid: "sign in again, or issue a new one with `taskbeat users token <email>`.",
  },
});

export default defineSetup({ mcp: taskMcp });
