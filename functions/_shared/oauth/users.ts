/** Who signs in: a user found by email, or created when sign-up is open. */
import type { Sql } from "postgres";
import { createUser, findUserByEmail, UserError } from "../auth/tokens.js";
import type { User } from "../domain/context.js";

export async function userById(sql: Sql, id: string): Promise<User | undefined> {
  const [row] = await sql<
    {
      id: string;
      email: string;
      display_name: string | null;
      time_zone: string;
      default_reminder_minutes: number | null;
    }[]
  >`select id, email, display_name, time_zone, default_reminder_minutes from users where id = ${id}`;
  return (
    row && {
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      timeZone: row.time_zone,
      defaultReminderMinutes: row.default_reminder_minutes,
    }
  );
}

/** The user with this email; created first when `signup` is open. Undefined when closed and unknown. */
export async function userForEmail(
  sql: Sql,
  email: string,
  signup: "open" | "closed",
): Promise<User | undefined> {
  const found = await findUserByEmail(sql, email);
  if (found || signup === "closed") return found;
  try {
    return await createUser(sql, { email });
  } catch (error) {
    // Two sign-ins of a new email at once: the other one created it.
    if (error instanceof UserError && error.code === "EMAIL_TAKEN") return findUserByEmail(sql, email);
    throw error;
  }
}
