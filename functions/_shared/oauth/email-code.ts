/**
 * The emailed one-time sign-in code: 6 digits, valid 10 minutes, 5 tries, single use. Only its digest
 * is stored on the authorization request. Sending is rate-limited per address and per request, so the
 * page cannot be used to flood someone's inbox.
 */
import type { Sql } from "postgres";
import { withinLimit } from "./rate-limit.js";
import { digest, randomDigits, sameSecret } from "./secrets.js";

export const CODE_DIGITS = 6;
export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_TRIES = 5;
/** Codes sent to one address per hour, and per authorization request. */
export const SENDS_PER_EMAIL_HOUR = 5;
export const SENDS_PER_REQUEST = 5;

export type SendOutcome = { code: string } | { refused: string };

/** A fresh code for the request (replacing an earlier one), or why none is sent now. */
export async function newEmailCode(sql: Sql, requestId: string, email: string): Promise<SendOutcome> {
  const address = email.trim().toLowerCase();
  const perRequest = await withinLimit(sql, `code-request:${requestId}`, SENDS_PER_REQUEST, 3600);
  const perEmail = await withinLimit(sql, `code-email:${address}`, SENDS_PER_EMAIL_HOUR, 3600);
  if (!perRequest || !perEmail)
    return {
      refused: "Too many codes were sent to this address. Wait an hour, or use the last code you received.",
    };
  const code = randomDigits(CODE_DIGITS);
  await sql`
    update oauth_requests set email = ${address}, code_hash = ${digest(code)}, code_attempts = 0,
      code_expires_at = now() + make_interval(secs => ${CODE_TTL_SECONDS})
    where id = ${requestId}`;
  return { code };
}

export type CheckOutcome = { email: string } | { wrong: number } | { spent: "expired" | "tries" | "none" };

/** Checks a typed code; each check spends a try, atomically, so parallel guesses cannot exceed 5. */
export async function checkEmailCode(sql: Sql, requestId: string, typed: string): Promise<CheckOutcome> {
  const [row] = await sql<{ email: string; code_hash: Buffer; attempts: number; expired: boolean }[]>`
    update oauth_requests set code_attempts = code_attempts + 1
    where id = ${requestId} and code_hash is not null
    returning email, code_hash, code_attempts as attempts, code_expires_at < now() as expired`;
  if (!row) return { spent: "none" };
  if (row.expired) return { spent: "expired" };
  if (row.attempts > CODE_TRIES) return { spent: "tries" };
  const cleaned = typed.replace(/\s+/g, "");
  if (/^\d+$/.test(cleaned) && sameSecret(digest(cleaned).toString("hex"), row.code_hash.toString("hex"))) {
    // Single use: the code is gone once it worked.
    const used =
      await sql`update oauth_requests set code_hash = null where id = ${requestId} and code_hash = ${row.code_hash}`;
    if (used.count === 1) return { email: row.email };
    return { spent: "none" };
  }
  return { wrong: CODE_TRIES - row.attempts };
}
