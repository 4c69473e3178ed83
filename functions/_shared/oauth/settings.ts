/**
 * OAuth's identifiers and policies, derived once from the configuration. `PUBLIC_URL` is the origin
 * clients see (behind an ingress); the issuer is that origin and the protected resource is `<origin>/mcp`,
 * so a token issued here names exactly the endpoint it may be used at (RFC 8707).
 */
import { type Config, loadConfig } from "../../../runtime/config.js";

export interface OAuthSettings {
  /** `https://tasks.example.com`, no trailing slash. */
  publicUrl: string;
  /** The built-in authorization server's issuer identifier (RFC 8414 §2): the public origin. */
  issuer: string;
  /** The resource identifier of `/mcp` (RFC 8707, RFC 9728 `resource`). */
  resource: string;
  /** RFC 9728 §3.1: the path-suffixed well-known URL of the resource's metadata. */
  resourceMetadataUrl: string;
  /** Whether an email without an account may sign up at the sign-in page. */
  signup: "open" | "closed";
  /** Production: https or NODE_ENV=production. Hides the personal-token sign-in, marks cookies Secure. */
  production: boolean;
  /** The built-in authorization server (off: only OAUTH_ISSUER tokens and personal tokens). */
  builtIn: boolean;
  /** An external OIDC issuer whose JWT access tokens /mcp also accepts. */
  externalIssuer: string | undefined;
  /** Hosts a client metadata document may come from although they resolve to private addresses. */
  cimdAllowedHosts: readonly string[];
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
}

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;

export function oauthSettingsFrom(config: Config): OAuthSettings {
  const publicUrl = config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`;
  const production = config.NODE_ENV === "production" || publicUrl.startsWith("https:");
  return {
    publicUrl,
    issuer: publicUrl,
    resource: `${publicUrl}/mcp`,
    resourceMetadataUrl: `${publicUrl}/.well-known/oauth-protected-resource/mcp`,
    signup: config.SIGNUP ?? (production ? "closed" : "open"),
    production,
    builtIn: config.OAUTH_SERVER === "on",
    externalIssuer: config.OAUTH_ISSUER?.replace(/\/$/, ""),
    cimdAllowedHosts: config.OAUTH_CIMD_ALLOWED_HOSTS ?? [],
    accessTokenSeconds: ACCESS_TOKEN_SECONDS,
    refreshTokenSeconds: REFRESH_TOKEN_SECONDS,
  };
}

let current: OAuthSettings | undefined;

/** Set by the backend's oauth setup when the app is built; tests set their own. */
export function configureOAuth(settings: OAuthSettings): void {
  current = settings;
}

/** The process's settings; outside a served app (`taskbeat mcp`) they come from the environment. */
export function oauthSettings(): OAuthSettings {
  current ??= oauthSettingsFrom(loadConfig());
  return current;
}
