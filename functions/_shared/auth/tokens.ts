/**
 * Users and their API tokens. A token is shown once, when issued, and only its SHA-256 digest is
 * stored: a leaked database dump cannot be replayed against `/mcp`. The token is long and random, so a
 * plain digest is enough (no salt or slow hash: there is no password to guess).
 */
import { createHash, randomBytes } from "node:crypto";
import type { Sql } from "postgres";
import type { User } from "../domain/context.js";
import { checkTimeZone } from "../domain/dates.js";
import { DomainError, isUniqueViolation } from "../domain/errors.js";
import { MAX_DISPLAY_NAME } from "../domain/settings.js";

/** Marks taskbeat tokens, so a secret scanner or a person can tell what a leaked string is. */
export const TOKEN_PREFIX = "tb_";
// 32 random bytes = 43 base64url characters.
const TOKEN_PATTERN = /^tb_[A-Za-z0-9_-]{43}$/;

export type UserErrorCode =
  | "INVALID_EMAIL"
  | "EMAIL_TAKEN"
  | "INVALID_TIME_ZONE"
  | "INVALID_DISPLAY_NAME"
  | "USER_NOT_FOUND"
  | "NOTHING_TO_REVOKE";

/** A bad `createUser` input; the message is meant to be printed as it is (e.g. by `taskbeat users create`). */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface UserRow {
  id: string;
  email: string;
  display_name: string | null;
  time_zone: string;
  default_reminder_minutes: number | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  timeZone: row.time_zone,
  defaultReminderMinutes: row.default_reminder_minutes,
});

const digest = (token: string) => createHash("sha256").update(token).digest();

/** Issues a new token for the user and returns it; this is the only time it can be seen. */
export async function issueToken(sql: Sql, userId: string, label?: string): Promise<string> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  await sql`insert into api_tokens (user_id, token_hash, label) values (${userId}, ${digest(token)}, ${label ?? null})`;
  return token;
}

/**
 * The user a token belongs to, or undefined when it is unknown, malformed or revoked. `last_used_at`
 * is refreshed in the same statement, at most once a minute, so a busy client does not turn every
 * request into a row write.
 */
export async function authenticate(sql: Sql, token: string): Promise<User | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const [row] = await sql<UserRow[]>`
    with hit as (
      select t.id as token_id, t.last_used_at, u.id, u.email, u.display_name, u.time_zone,
        u.default_reminder_minutes
      from api_tokens t join users u on u.id = t.user_id
      where t.token_hash = ${digest(token)} and t.revoked_at is null
    ), touched as (
      update api_tokens set last_used_at = now()
      where id = (select token_id from hit)
        and (last_used_at is null or last_used_at < now() - interval '1 minute')
    )
    select id, email, display_name, time_zone, default_reminder_minutes from hit`;
  return row && toUser(row);
}

export interface NewUser {
  email: string;
  displayName?: string;
  /** IANA zone; defaults to UTC. */
  timeZone?: string;
}

export async function createUser(sql: Sql, input: NewUser): Promise<User> {
  const email = normaliseEmail(input.email);
  const timeZone = canonicalTimeZone(input.timeZone ?? "UTC");
  const displayName = input.displayName?.trim() || null;
  if (displayName !== null && displayName.length > MAX_DISPLAY_NAME) {
    throw new UserError(
      "INVALID_DISPLAY_NAME",
      `A display name can be at most ${MAX_DISPLAY_NAME} characters long.`,
    );
  }
  try {
    const [row] = await sql<UserRow[]>`
      insert into users (email, display_name, time_zone) values (${email}, ${displayName}, ${timeZone})
      returning id, email, display_name, time_zone, default_reminder_minutes`;
    return toUser(row as UserRow);
  } catch (error) {
    // The unique index is on lower(email), so this also catches a differently-cased duplicate.
    if (isUniqueViolation(error)) {
      throw new UserError("EMAIL_TAKEN", `A user with the email ${email} already exists.`);
    }
    throw error;
  }
}

export async function findUserByEmail(sql: Sql, email: string): Promise<User | undefined> {
  const [row] = await sql<UserRow[]>`
    select id, email, display_name, time_zone, default_reminder_minutes
    from users where lower(email) = ${email.trim().toLowerCase()}`;
  return row && toUser(row);
}

function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  // The same rule as the column's check constraint, so a bad address fails here with a sentence.
  if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new UserError("INVALID_EMAIL", `"${raw}" is not an email address.`);
  }
  return email;
}

/**
 * The zone's canonical IANA name ("europe/paris" → "Europe/Paris"), by the same rule as a task's zone
 * (domain/dates.ts): offsets like "+01:00" are refused even where Intl takes them (Node ≥ 22), because
 * PostgreSQL reads such a string with the POSIX sign, i.e. inverted.
 */
function canonicalTimeZone(zone: string): string {
  try {
    return checkTimeZone(zone);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    // An abbreviation's message names the zones that fit (dates.ts); keep it.
    const abbreviation = error.message.includes("abbreviation");
    throw new UserError(
      "INVALID_TIME_ZONE",
      abbreviation
        ? error.message
        : `"${zone}" is not an IANA time zone; use a name like "Europe/Paris" or "America/New_York".`,
    );
  }
}
