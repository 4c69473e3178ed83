/** `taskbeat users`: people and their personal tokens, on the same database the service uses. */
import { type Command, parseOptions, UsageError } from "../../../runtime/cli/command.js";
import { connectDatabase } from "../../../runtime/cli/database.js";
import { loadConfig } from "../../../runtime/config.js";
import { migrate } from "../../../runtime/db/migrate.js";
import { createLogger } from "../../../runtime/log.js";
import { createUser, findUserByEmail, issueToken } from "./tokens.js";

export const users: Command & { summary: string } = {
  summary: "create users and issue their API tokens",
  help: `Usage: taskbeat users create --email <email> [--name <name>] [--tz <zone>]
       taskbeat users token <email> [--label <label>]

create   creates a user and prints a new token for it
token    issues another token for an existing user (earlier tokens keep working)

The token is printed once, alone on the last line of standard output, so
  TOKEN=$(npx taskbeat users create --email me@example.com | tail -n1)
works; only its digest is stored. Messages go to standard error.

Options:
  --email <email>   the user's email (create; required)
  --name <name>     display name (create)
  --tz <zone>       IANA time zone, e.g. Europe/Paris (create; default UTC)
  --label <label>   a note stored with the token, e.g. the client it is for

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
    } else {
      throw new UsageError(action === undefined ? "expected create or token" : `unknown action "${action}"`);
    }

    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
    const db = await connectDatabase(config, log);
    try {
      // A fresh embedded database has no schema until something migrates it; this is a no-op otherwise.
      await migrate(db.sql);
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
