/**
 * Who an OAuth bearer token at /mcp acts for: an access token of the built-in server bound to this
 * resource, or (with OAUTH_ISSUER) a JWT from the external issuer. Personal tokens are checked before
 * this, by auth/tokens.ts, unchanged.
 */
import type { Sql } from "postgres";
import type { User } from "../domain/context.js";
import { verifyExternalToken } from "./external-issuer.js";
import { checkAccessToken } from "./grants.js";
import { oauthSettings } from "./settings.js";
import { userById, userForEmail } from "./users.js";

export async function authenticateBearer(sql: Sql, token: string): Promise<User | undefined> {
  const settings = oauthSettings();
  if (settings.builtIn && token.startsWith("tba_")) {
    const owner = await checkAccessToken(sql, token, settings.resource);
    return owner && userById(sql, owner.userId);
  }
  if (settings.externalIssuer && token.split(".").length === 3) {
    const email = await verifyExternalToken(token, settings);
    return email === undefined ? undefined : userForEmail(sql, email, settings.signup);
  }
  return undefined;
}
