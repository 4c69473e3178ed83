/**
 * `taskbeat users`, and the local user `taskbeat start` creates on an empty database so a first run ends
 * with a working token.
 */
import type { Sql } from "postgres";
import { defineSetup } from "../../runtime/define.js";
import type { Logger } from "../../runtime/log.js";
import { createUser, findUserByEmail, issueToken, UserError } from "../_shared/auth/tokens.js";
import { users } from "../_shared/auth/users-command.js";

/** The user `npm start` creates in an empty database. */
export const LOCAL_USER_EMAIL = "you@localhost";

export default defineSetup({
  commands: { users },
  banner: async ({ sql, log }) => (await localUser(sql, log)).split("\n"),
});

/**
 * On the first run (no users at all) creates the local user and returns the lines that show its token,
 * the only time it is shown; later runs say how to get another.
 */
async function localUser(sql: Sql, log: Logger): Promise<string> {
  const [{ any } = { any: false }] = await sql<
    { any: boolean }[]
  >`select exists (select 1 from users) as any`;
  if (any) {
    const local = await findUserByEmail(sql, LOCAL_USER_EMAIL);
    const email = local ? LOCAL_USER_EMAIL : "<email>";
    return `  token     run "npx taskbeat users token ${email}" for a new one (tokens are shown once)`;
  }
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  try {
    const user = await createUser(sql, { email: LOCAL_USER_EMAIL, displayName: "You", timeZone });
    const token = await issueToken(sql, user.id, "taskbeat start");
    log.info("created the local user", { email: user.email, timeZone: user.timeZone });
    return [
      `  user      ${user.email}  (created now; time zone ${user.timeZone})`,
      `  token     ${token}`,
      `            shown only this once; "npx taskbeat users token ${user.email}" issues another`,
    ].join("\n");
  } catch (error) {
    // Another process sharing this database created it first.
    if (error instanceof UserError && error.code === "EMAIL_TAKEN") {
      return `  token     run "npx taskbeat users token ${LOCAL_USER_EMAIL}" for a token`;
    }
    throw error;
  }
}
