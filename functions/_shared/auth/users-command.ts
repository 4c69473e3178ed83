/** `taskbeat users`: people and their personal tokens, on the same database the service uses. */
import { type Command, parseOptions, UsageError } from "../../../runtime/cli/command.js";
import { connectDatabase } from "../../../runtime/cli/database.js";
import { loadConfig } from "../../../runtime/config.js";
import { migrate } from "../../../runtime/db/migrate.js";
import { createLogger } from "../../../runtime/log.js";
import { listUsers, revokeTokens, type UserSummary } from "./token-admin.js";
import { createUser, findUserByEmail, issueToken } from "./tokens.js";

export const users: Command & { summary: string } = {
  summary: "create users, issue, list and revoke their API tokens",
  help: `Usage: taskbeat users create --email <email> [--name <name>] [--tz <zone>]
       taskbeat users token <email> [--label <label>]
       taskbeat users list
       taskbeat users revoke <email> [--label <label>]

create   creates a user and prints a new token for it
token    issues another token for an existing user (earlier tokens keep working)
list     prints every user and their tokens: label, issued, last used (to the minute), revoked
revoke   revokes the user's tokens: all of them, or with --label only those with that label;
         a revoked token is refused from the next request on

The token is printed once, alone on the last line of standard output, so
  TOKEN=$(npx taskbeat users create --email me@example.com | tail -n1)
works; only its digest is stored. Messages go to standard error.

Options:
  --email <email>   the user's email (create; required)
  --name <name>     display name (create)
  --tz <zone>       IANA time zone, e.g. Europe/Paris (create; default UTC)
  --label <label>   a note stored with the token, e.g. the client it is for (token); the
                    tokens to revoke (revoke)

Works on DATABASE_URL, or without it on the embedded database of "taskbeat start" in TASKBEAT_HOME
(through the running process if there is one).`,

  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        email: { type: "string" },
        name: { type: "string" },
        tz: { type: "string" },
        label: { type: "string" },
      },
      true,
    );
    const [action, ...rest] = positionals;
    if (action === "create") {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      if (values.email === undefined) throw new UsageError("--email is required");
    } else if (action === "token") {
      if (rest.length !== 1) throw new UsageError("expected exactly one <email>");
      if (values.name !== undefined || values.tz !== undefined)
        throw new UsageError("--name and --tz are for users create");
    } else if (action === "list" || action === "revoke") {
      const want = action === "list" ? 0 : 1;
      if (rest.length !== want)
        throw new UsageError(
          want === 0 ? `unexpected argument "${rest[0]}"` : "expected exactly one <email>",
        );
      if (values.email !== undefined || values.name !== undefined || values.tz !== undefined)
        throw new UsageError("--email, --name and --tz are for users create");
      if (action === "list" && values.label !== undefined)
        throw new UsageError("--label is for token and revoke");
    } else {
      throw new UsageError(
        action === undefined ? "expected create, token, list or revoke" : `unknown action "${action}"`,
      );
    }

    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
    const db = await connectDatabase(config, log);
    try {
      // A fresh embedded database has no schema until something migrates it; this is a no-op otherwise.
      await migrate(db.sql);
      if (action === "list") {
        process.stdout.write(formatUsers(await listUsers(db.sql)));
        return 0;
      }
      if (action === "revoke") {
        const { email, revoked } = await revokeTokens(db.sql, rest[0] as string, values.label);
        const labels = revoked.map((label) => (label === null ? "(no label)" : `"${label}"`)).join(", ");
        process.stderr.write(
          `Revoked ${revoked.length} token${revoked.length === 1 ? "" : "s"} of ${email}: ${labels}.\n`,
        );
        return 0;
      }
      let userId: string;
      let email: string;
      if (action === "create") {
        const user = await createUser(db.sql, {
          email: values.email as string,
          ...(values.name === undefined ? {} : { displayName: values.name }),
          ...(values.tz === undefined ? {} : { timeZone: values.tz }),
        });
        process.stderr.write(`Created user ${user.email} (time zone ${user.timeZone}).\n`);
        [userId, email] = [user.id, user.email];
      } else {
        const user = await findUserByEmail(db.sql, rest[0] as string);
        if (!user) {
          throw new Error(
            `no user with the email ${rest[0]}; "taskbeat users create --email <email>" makes one`,
          );
        }
        [userId, email] = [user.id, user.email];
      }
      const token = await issueToken(db.sql, userId, values.label);
      process.stderr.write(`New token for ${email}, shown only this once:\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};

/** `users list`: one line per user, then one indented line per token; times in UTC, to the minute. */
export function formatUsers(users: readonly UserSummary[]): string {
  if (users.length === 0) return 'No users yet; "taskbeat users create --email <email>" makes one.\n';
  const when = (date: Date | null) =>
    date === null ? "never" : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const lines: string[] = [];
  for (const user of users) {
    const live = user.tokens.filter((token) => token.revokedAt === null).length;
    const name = user.displayName === null ? "" : ` (${user.displayName})`;
    lines.push(`${user.email}${name}  ${user.timeZone}  ${live} live token${live === 1 ? "" : "s"}`);
    for (const token of user.tokens) {
      const label = token.label === null ? "(no label)" : token.label;
      const state = token.revokedAt === null ? "" : `  revoked ${when(token.revokedAt)}`;
      lines.push(`  ${label}  issued ${when(token.createdAt)}  last used ${when(token.lastUsedAt)}${state}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
