/**
 * JWT access tokens from an external OpenID Connect issuer (OAUTH_ISSUER), verified with `jose`: the
 * issuer's signing keys come from its discovery document's jwks_uri (cached and refreshed by jose), and
 * a token counts only when its issuer is that issuer, its audience is this resource (RFC 8707 / RFC 9068)
 * and it carries a verified email, which names the taskbeat user.
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import type { OAuthSettings } from "./settings.js";

const DISCOVERY_TIMEOUT_MS = 5_000;

interface Issuer {
  keys: ReturnType<typeof createRemoteJWKSet>;
  userinfo: string | undefined;
}

const issuers = new Map<string, Promise<Issuer>>();

async function discover(issuer: string): Promise<Issuer> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`OIDC discovery of ${issuer} answered ${response.status}`);
  const metadata = (await response.json()) as {
    issuer?: string;
    jwks_uri?: string;
    userinfo_endpoint?: string;
  };
  if (metadata.issuer?.replace(/\/$/, "") !== issuer || !metadata.jwks_uri)
    throw new Error(`OIDC discovery of ${issuer} names another issuer or no jwks_uri`);
  return { keys: createRemoteJWKSet(new URL(metadata.jwks_uri)), userinfo: metadata.userinfo_endpoint };
}

function issuerOf(url: string): Promise<Issuer> {
  let found = issuers.get(url);
  if (!found) {
    found = discover(url);
    // A failed discovery is tried again on the next token, not cached.
    found.catch(() => issuers.delete(url));
    issuers.set(url, found);
  }
  return found;
}

/** The verified email the token was issued for, or undefined when the token does not count here. */
export async function verifyExternalToken(
  token: string,
  settings: OAuthSettings,
): Promise<string | undefined> {
  const issuer = settings.externalIssuer;
  if (!issuer) return undefined;
  let payload: JWTPayload;
  let found: Issuer;
  try {
    found = await issuerOf(issuer);
    ({ payload } = await jwtVerify(token, found.keys, { issuer, audience: settings.resource }));
  } catch {
    return undefined;
  }
  let claims: Record<string, unknown> = payload;
  // Access tokens often leave the email out; the issuer's userinfo endpoint tells it for this token.
  if (typeof claims.email !== "string" && found.userinfo) claims = await userinfo(found.userinfo, token);
  if (typeof claims.email !== "string" || claims.email_verified !== true) return undefined;
  return claims.email.toLowerCase();
}

async function userinfo(endpoint: string, token: string): Promise<Record<string, unknown>> {
  try {
    const response = await fetch(endpoint, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    return response.ok ? ((await response.json()) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
