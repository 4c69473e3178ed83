/**
 * Pending authorization requests: created when /oauth/authorize has checked the client's request,
 * carried through the sign-in page by id, and finished by Allow or Deny. Each is bound to the browser
 * that started it (a cookie whose digest is stored) and carries a CSRF token every form posts back.
 */
import type { Sql } from "postgres";
import { digest, randomSecret } from "./secrets.js";

/** How long a person has from the assistant's redirect to Allow. */
export const REQUEST_SECONDS = 30 * 60;

export interface AuthorizationRequest {
  id: string;
  csrf: string;
  clientId: string;
  clientName: string | null;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  resource: string;
  scope: string;
  email: string | null;
  codePending: boolean;
  userId: string | null;
}

export interface NewRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  resource: string;
  scope: string;
}

export async function createRequest(sql: Sql, browser: string, request: NewRequest): Promise<string> {
  const id = randomSecret();
  await sql`
    insert into oauth_requests (id, browser_hash, csrf, client_id, redirect_uri, state, code_challenge, resource,
      scope, expires_at)
    values (${id}, ${digest(browser)}, ${randomSecret()}, ${request.clientId}, ${request.redirectUri},
      ${request.state}, ${request.codeChallenge}, ${request.resource}, ${request.scope},
      now() + make_interval(secs => ${REQUEST_SECONDS}))`;
  if (Math.random() < 0.02) await sql`delete from oauth_requests where expires_at < now() - interval '1 day'`;
  return id;
}

export type RequestLookup =
  | { found: AuthorizationRequest }
  | { missing: "unknown" | "expired" | "finished" | "other_browser" };

/** The open request `id` as seen from the browser holding `browser`. */
export async function findRequest(sql: Sql, id: string, browser: string | undefined): Promise<RequestLookup> {
  const [row] = await sql<
    {
      id: string;
      csrf: string;
      client_id: string;
      client_name: string | null;
      redirect_uri: string;
      state: string;
      code_challenge: string;
      resource: string;
      scope: string;
      email: string | null;
      code_pending: boolean;
      user_id: string | null;
      expired: boolean;
      finished: boolean;
      browser_hash: Buffer;
    }[]
  >`
    select r.id, r.csrf, r.client_id, c.client_name, r.redirect_uri, r.state, r.code_challenge, r.resource, r.scope,
      r.email, r.code_hash is not null as code_pending, r.user_id, r.expires_at < now() as expired,
      r.finished_at is not null as finished, r.browser_hash
    from oauth_requests r join oauth_clients c on c.client_id = r.client_id
    where r.id = ${id}`;
  if (!row) return { missing: "unknown" };
  if (browser === undefined || !digest(browser).equals(row.browser_hash)) return { missing: "other_browser" };
  if (row.finished) return { missing: "finished" };
  if (row.expired) return { missing: "expired" };
  return {
    found: {
      id: row.id,
      csrf: row.csrf,
      clientId: row.client_id,
      clientName: row.client_name,
      redirectUri: row.redirect_uri,
      state: row.state,
      codeChallenge: row.code_challenge,
      resource: row.resource,
      scope: row.scope,
      email: row.email,
      codePending: row.code_pending,
      userId: row.user_id,
    },
  };
}

export async function setSignedIn(sql: Sql, id: string, userId: string): Promise<void> {
  await sql`update oauth_requests set user_id = ${userId}, code_hash = null where id = ${id}`;
}

/** Marks the request done; false when another tab finished it first. */
export async function finishRequest(sql: Sql, id: string): Promise<boolean> {
  const done =
    await sql`update oauth_requests set finished_at = now() where id = ${id} and finished_at is null`;
  return done.count === 1;
}
