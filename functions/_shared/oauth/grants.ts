/**
 * Codes, grants and tokens of the built-in authorization server. Tokens are opaque random strings
 * whose digests are stored, not signed JWTs: /mcp already reads the database for every request (personal
 * tokens), so a lookup costs nothing new, revocation takes effect at once, and there is no signing key
 * to keep, share between replicas or rotate. A grant ties a client, a user and one resource (RFC 8707)
 * together; its access tokens are short-lived, its refresh token rotates on every use, and a refresh
 * token or code used twice revokes the whole grant (OAuth 2.1 §4.3.1, RFC 6749 §4.1.2).
 */
import type { Sql } from "postgres";
import type { OAuthClient } from "./clients.js";
import { OAuthProblem } from "./errors.js";
import {
  ACCESS_TOKEN_PREFIX,
  CODE_PREFIX,
  digest,
  pkceMatches,
  REFRESH_TOKEN_PREFIX,
  randomSecret,
} from "./secrets.js";
import type { OAuthSettings } from "./settings.js";

export const CODE_SECONDS = 60;

export interface CodeRequest {
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string;
  scope: string;
}

export async function issueCode(sql: Sql, request: CodeRequest): Promise<string> {
  const code = randomSecret(CODE_PREFIX);
  await sql`
    insert into oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scope, expires_at)
    values (${digest(code)}, ${request.clientId}, ${request.userId}, ${request.redirectUri},
      ${request.codeChallenge}, ${request.resource}, ${request.scope},
      now() + make_interval(secs => ${CODE_SECONDS}))`;
  return code;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

type Outcome = { tokens: TokenResponse } | { problem: OAuthProblem };

/** The authorization_code grant (OAuth 2.1 §4.1.3). */
export async function exchangeCode(
  sql: Sql,
  client: OAuthClient,
  form: Record<string, string>,
  settings: OAuthSettings,
): Promise<TokenResponse> {
  const { code, code_verifier: verifier, redirect_uri: redirectUri, resource } = form;
  if (!code) throw new OAuthProblem("invalid_request", "code is missing.");
  if (!verifier) throw new OAuthProblem("invalid_request", "code_verifier is missing (PKCE is required).");
  const outcome = await sql.begin(async (tx): Promise<Outcome> => {
    const [row] = await tx<
      {
        client_id: string;
        user_id: string;
        redirect_uri: string;
        code_challenge: string;
        resource: string;
        scope: string;
        expired: boolean;
        used_at: Date | null;
        grant_id: string | null;
      }[]
    >`
      select client_id, user_id, redirect_uri, code_challenge, resource, scope, expires_at < now() as expired,
        used_at, grant_id
      from oauth_codes where code_hash = ${digest(code)} for update`;
    const invalid = (description: string) => ({ problem: new OAuthProblem("invalid_grant", description) });
    if (!row || row.client_id !== client.clientId)
      return invalid("The code is unknown or was issued to another client.");
    if (row.used_at !== null) {
      // A code presented twice was likely stolen: end what its first exchange issued.
      if (row.grant_id)
        await tx`update oauth_grants set revoked_at = now() where id = ${row.grant_id} and revoked_at is null`;
      return invalid(
        "The code was already used; the tokens issued for it are revoked. Start the sign-in again.",
      );
    }
    if (row.expired) return invalid("The code has expired; start the sign-in again.");
    if (redirectUri !== row.redirect_uri)
      return invalid("redirect_uri must be the one sent to the authorization endpoint.");
    if (!pkceMatches(verifier, row.code_challenge))
      return invalid("code_verifier does not match the code_challenge.");
    if (resource !== undefined && resource !== row.resource)
      return { problem: new OAuthProblem("invalid_target", `This code was issued for ${row.resource}.`) };
    const [grant] = await tx<{ id: string }[]>`
      insert into oauth_grants (client_id, user_id, resource, scope)
      values (${client.clientId}, ${row.user_id}, ${row.resource}, ${row.scope}) returning id`;
    const grantId = (grant as { id: string }).id;
    await tx`update oauth_codes set used_at = now(), grant_id = ${grantId} where code_hash = ${digest(code)}`;
    return { tokens: await issueTokens(tx as unknown as Sql, grantId, row.scope, settings) };
  });
  if ("problem" in outcome) throw outcome.problem;
  return outcome.tokens;
}

/** The refresh_token grant with rotation: the old refresh token is spent, a new pair is issued. */
export async function refreshGrant(
  sql: Sql,
  client: OAuthClient,
  form: Record<string, string>,
  settings: OAuthSettings,
): Promise<TokenResponse> {
  const token = form.refresh_token;
  if (!token) throw new OAuthProblem("invalid_request", "refresh_token is missing.");
  const outcome = await sql.begin(async (tx): Promise<Outcome> => {
    const [row] = await tx<
      {
        grant_id: string;
        client_id: string;
        resource: string;
        scope: string;
        used_at: Date | null;
        expired: boolean;
        revoked: boolean;
      }[]
    >`
      select t.grant_id, g.client_id, g.resource, g.scope, t.used_at, t.expires_at < now() as expired,
        g.revoked_at is not null as revoked
      from oauth_tokens t join oauth_grants g on g.id = t.grant_id
      where t.token_hash = ${digest(token)} and t.kind = 'refresh'
      for update of t, g`;
    const invalid = (description: string) => ({ problem: new OAuthProblem("invalid_grant", description) });
    if (!row || row.client_id !== client.clientId)
      return invalid("The refresh token is unknown or was issued to another client.");
    if (row.revoked) return invalid("The refresh token was revoked; sign in again.");
    if (row.used_at !== null) {
      // Reuse of a rotated refresh token: someone else has a copy. Revoke the whole family.
      await tx`update oauth_grants set revoked_at = now() where id = ${row.grant_id}`;
      return invalid(
        "The refresh token was already used; every token of this sign-in is now revoked. Sign in again.",
      );
    }
    if (row.expired) return invalid("The refresh token has expired; sign in again.");
    if (form.resource !== undefined && form.resource !== row.resource)
      return { problem: new OAuthProblem("invalid_target", `This grant is for ${row.resource}.`) };
    await tx`update oauth_tokens set used_at = now() where token_hash = ${digest(token)}`;
    return { tokens: await issueTokens(tx as unknown as Sql, row.grant_id, row.scope, settings) };
  });
  if ("problem" in outcome) throw outcome.problem;
  return outcome.tokens;
}

async function issueTokens(sql: Sql, grantId: string, scope: string, settings: OAuthSettings) {
  // Now and then, forget what has expired. Spent refresh tokens stay until then: reuse detection needs them.
  if (Math.random() < 0.01) {
    await sql`delete from oauth_tokens where expires_at < now() - interval '1 day'`;
    await sql`delete from oauth_codes where expires_at < now() - interval '1 day'`;
  }
  const access = randomSecret(ACCESS_TOKEN_PREFIX);
  const refresh = randomSecret(REFRESH_TOKEN_PREFIX);
  await sql`
    insert into oauth_tokens (token_hash, grant_id, kind, expires_at) values
      (${digest(access)}, ${grantId}, 'access', now() + make_interval(secs => ${settings.accessTokenSeconds})),
      (${digest(refresh)}, ${grantId}, 'refresh', now() + make_interval(secs => ${settings.refreshTokenSeconds}))`;
  return {
    access_token: access,
    token_type: "Bearer" as const,
    expires_in: settings.accessTokenSeconds,
    refresh_token: refresh,
    scope,
  };
}

/**
 * RFC 7009: revoking either token of a grant ends the grant (its other tokens too). A token that is
 * unknown, already revoked or another client's changes nothing, and the answer is the same 200.
 */
export async function revokeToken(sql: Sql, client: OAuthClient, token: string): Promise<void> {
  await sql`
    update oauth_grants g set revoked_at = now()
    from oauth_tokens t
    where t.token_hash = ${digest(token)} and t.grant_id = g.id and g.client_id = ${client.clientId}
      and g.revoked_at is null`;
}

export interface AccessTokenOwner {
  userId: string;
  clientId: string;
  scope: string;
}

/** The user an access token acts for at `resource`; undefined when unknown, expired, revoked or for another resource. */
export async function checkAccessToken(
  sql: Sql,
  token: string,
  resource: string,
): Promise<AccessTokenOwner | undefined> {
  if (!/^tba_[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const [row] = await sql<{ user_id: string; client_id: string; scope: string }[]>`
    select g.user_id, g.client_id, g.scope
    from oauth_tokens t join oauth_grants g on g.id = t.grant_id
    where t.token_hash = ${digest(token)} and t.kind = 'access' and t.expires_at > now()
      and g.revoked_at is null and g.resource = ${resource}`;
  return row && { userId: row.user_id, clientId: row.client_id, scope: row.scope };
}
