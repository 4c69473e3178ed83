/**
 * What `taskbeat users list` and `taskbeat users revoke` show and do: every user with their tokens
 * (label, when issued, last used, revoked), and revoking one user's tokens, all or those with a label.
 * A revoked token stops authenticating at once (authenticate() reads `revoked_at` on every request).
 */
import type { Sql } from "postgres";
import { UserError } from "./tokens.js";

export interface TokenSummary {
  label: string | null;
  createdAt: Date;
  /** Refreshed at most once a minute (authenticate()); null: never used. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface UserSummary {
  email: string;
  displayName: string | null;
  timeZone: string;
  createdAt: Date;
  /** Oldest first. */
  tokens: TokenSummary[];
}

export async function listUsers(sql: Sql): Promise<UserSummary[]> {
  const rows = await sql<
    {
      email: string;
      display_name: string | null;
      time_zone: string;
      created_at: Date;
      tokens: Array<{
        label: string | null;
        created_at: string;
        last_used_at: string | null;
        revoked_at: string | null;
      }>;
    }[]
  >`
    select u.email, u.display_name, u.time_zone, u.created_at,
      coalesce((select json_agg(json_build_object('label', t.label, 'created_at', t.created_at,
          'last_used_at', t.last_used_at, 'revoked_at', t.revoked_at) order by t.created_at, t.id)
        from api_tokens t where t.user_id = u.id), '[]'::json) as tokens
    from users u
    order by lower(u.email)`;
  const date = (text: string | null) => (text === null ? null : new Date(text));
  return rows.map((row) => ({
    email: row.email,
    displayName: row.display_name,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    tokens: row.tokens.map((token) => ({
      label: token.label,
      createdAt: new Date(token.created_at),
      lastUsedAt: date(token.last_used_at),
      revokedAt: date(token.revoked_at),
    })),
  }));
}

export interface RevokeResult {
  email: string;
  /** Labels of the tokens revoked now (null for unlabelled ones). */
  revoked: Array<string | null>;
}

/**
 * Revokes the user's live tokens: all of them, or (with `label`) those carrying that label. Revoking
 * nothing is an error that names the labels there are, so a typo in a label is not taken for success.
 */
export async function revokeTokens(sql: Sql, email: string, label?: string): Promise<RevokeResult> {
  const [user] = await sql<{ id: string; email: string }[]>`
    select id, email from users where lower(email) = ${email.trim().toLowerCase()}`;
  if (!user) throw new UserError("USER_NOT_FOUND", `no user with the email ${email.trim()}`);
  const rows = await sql<{ label: string | null }[]>`
    update api_tokens set revoked_at = now()
    where user_id = ${user.id} and revoked_at is null
      ${label === undefined ? sql`` : sql`and label = ${label}`}
    returning label`;
  if (rows.length === 0) {
    const live = await sql<{ label: string | null }[]>`
      select label from api_tokens where user_id = ${user.id} and revoked_at is null order by created_at`;
    const names = live.map((token) => (token.label === null ? "(no label)" : `"${token.label}"`));
    throw new UserError(
      "NOTHING_TO_REVOKE",
      label === undefined
        ? `${user.email} has no live tokens to revoke`
        : `${user.email} has no live token labelled "${label}"` +
            (names.length > 0 ? `; its live tokens: ${names.join(", ")}` : "; it has no live tokens"),
    );
  }
  return { email: user.email, revoked: rows.map((row) => row.label) };
}
