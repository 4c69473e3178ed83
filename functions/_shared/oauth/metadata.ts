/**
 * The two discovery documents: RFC 9728 protected-resource metadata (which authorization servers
 * /mcp trusts) and RFC 8414 authorization-server metadata (the built-in server's endpoints).
 */
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { OAuthSettings } from "./settings.js";

export const SCOPE = "tasks";

export const paths = {
  authorize: "/oauth/authorize",
  token: "/oauth/token",
  register: "/oauth/register",
  revoke: "/oauth/revoke",
  signIn: "/oauth/sign-in",
  consent: "/oauth/consent",
} as const;

export function protectedResourceMetadata(settings: OAuthSettings): OAuthProtectedResourceMetadata {
  const servers = [
    ...(settings.builtIn ? [settings.issuer] : []),
    ...(settings.externalIssuer ? [settings.externalIssuer] : []),
  ];
  return {
    resource: settings.resource,
    authorization_servers: servers,
    scopes_supported: [SCOPE],
    bearer_methods_supported: ["header"],
    resource_name: "taskbeat",
  };
}

export function authorizationServerMetadata(
  settings: OAuthSettings,
): OAuthMetadata & Record<string, unknown> {
  const at = (path: string) => `${settings.issuer}${path}`;
  return {
    issuer: settings.issuer,
    authorization_endpoint: at(paths.authorize),
    token_endpoint: at(paths.token),
    registration_endpoint: at(paths.register),
    revocation_endpoint: at(paths.revoke),
    scopes_supported: [SCOPE],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}
