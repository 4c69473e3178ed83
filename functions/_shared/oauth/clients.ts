/**
 * OAuth clients: registered by Dynamic Client Registration (RFC 7591) or, when the client_id is an https
 * URL, described by the Client ID Metadata Document at that URL (see metadata-document.ts). The
 * metadata is validated with the MCP SDK's own RFC 7591 schema, so we accept what its clients send.
 */
import { OAuthClientMetadataSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Sql } from "postgres";
import { OAuthProblem } from "./errors.js";
import { redirectUriProblem } from "./redirects.js";
import { CLIENT_SECRET_PREFIX, digest, randomSecret, sameSecret } from "./secrets.js";

export type ClientAuthMethod = "none" | "client_secret_basic" | "client_secret_post";
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  "none",
  "client_secret_basic",
  "client_secret_post",
];

export interface OAuthClient {
  clientId: string;
  clientName: string | null;
  redirectUris: string[];
  authMethod: ClientAuthMethod;
  secretHash: Buffer | null;
  source: "registration" | "metadata_document";
}

interface ClientRow {
  client_id: string;
  client_name: string | null;
  redirect_uris: string[];
  auth_method: ClientAuthMethod;
  secret_hash: Buffer | null;
  source: OAuthClient["source"];
}

const toClient = (row: ClientRow): OAuthClient => ({
  clientId: row.client_id,
  clientName: row.client_name,
  redirectUris: row.redirect_uris,
  authMethod: row.auth_method,
  secretHash: row.secret_hash,
  source: row.source,
});

const MAX_REDIRECT_URIS = 10;
const MAX_NAME = 100;

/** Validated client metadata: what registration and metadata documents have in common. */
export interface ClientMetadata {
  redirectUris: string[];
  clientName: string | null;
  authMethod: ClientAuthMethod;
  /** The metadata as the client sent it (unknown fields dropped). */
  document: Record<string, unknown>;
}

export function parseClientMetadata(body: unknown): ClientMetadata {
  const parsed = OAuthClientMetadataSchema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join(".") || "body";
    // RFC 7591 §3.2.2 has its own code for a bad redirect URI.
    const code = first?.path[0] === "redirect_uris" ? "invalid_redirect_uri" : "invalid_client_metadata";
    throw new OAuthProblem(code, `${where}: ${first?.message ?? "invalid metadata"}`);
  }
  const metadata = parsed.data;
  if (metadata.redirect_uris.length === 0 || metadata.redirect_uris.length > MAX_REDIRECT_URIS)
    throw new OAuthProblem(
      "invalid_redirect_uri",
      `Register between 1 and ${MAX_REDIRECT_URIS} redirect_uris.`,
    );
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthProblem("invalid_redirect_uri", problem);
  }
  const grants = metadata.grant_types ?? ["authorization_code"];
  const unsupportedGrant = grants.find(
    (grant) => grant !== "authorization_code" && grant !== "refresh_token",
  );
  if (unsupportedGrant)
    throw new OAuthProblem(
      "invalid_client_metadata",
      `grant_types: "${unsupportedGrant}" is not supported; use authorization_code and refresh_token.`,
    );
  if ((metadata.response_types ?? ["code"]).some((type) => type !== "code"))
    throw new OAuthProblem("invalid_client_metadata", 'response_types: only "code" is supported.');
  // RFC 7591 §2: the default is client_secret_basic.
  const method = metadata.token_endpoint_auth_method ?? "client_secret_basic";
  if (!CLIENT_AUTH_METHODS.includes(method as ClientAuthMethod))
    throw new OAuthProblem(
      "invalid_client_metadata",
      `token_endpoint_auth_method: "${method}" is not supported; use none, client_secret_basic or client_secret_post.`,
    );
  const clientName = metadata.client_name?.replace(/\s+/g, " ").trim().slice(0, MAX_NAME) || null;
  return {
    redirectUris: metadata.redirect_uris,
    clientName,
    authMethod: method as ClientAuthMethod,
    document: {
      ...metadata,
      grant_types: grants,
      response_types: ["code"],
      token_endpoint_auth_method: method,
    },
  };
}

/** RFC 7591 §3.2.1: the registered client's information, with its secret shown this once. */
export async function registerClient(sql: Sql, body: unknown): Promise<Record<string, unknown>> {
  const metadata = parseClientMetadata(body);
  const clientId = randomSecret("tbk_").slice(0, 28);
  const secret = metadata.authMethod === "none" ? undefined : randomSecret(CLIENT_SECRET_PREFIX);
  const [row] = await sql<{ issued: number }[]>`
    insert into oauth_clients (client_id, secret_hash, auth_method, client_name, redirect_uris, metadata, source)
    values (${clientId}, ${secret ? digest(secret) : null}, ${metadata.authMethod}, ${metadata.clientName},
      ${sql.array(metadata.redirectUris)}, ${sql.json(metadata.document as never)}, 'registration')
    returning extract(epoch from created_at)::bigint as issued`;
  return {
    ...metadata.document,
    client_id: clientId,
    client_id_issued_at: Number(row?.issued),
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
  };
}

export async function findClient(sql: Sql, clientId: string): Promise<OAuthClient | undefined> {
  const [row] = await sql<ClientRow[]>`
    select client_id, client_name, redirect_uris, auth_method, secret_hash, source
    from oauth_clients where client_id = ${clientId}`;
  return row && toClient(row);
}

export async function saveMetadataDocumentClient(sql: Sql, clientId: string, metadata: ClientMetadata) {
  const [row] = await sql<ClientRow[]>`
    insert into oauth_clients (client_id, auth_method, client_name, redirect_uris, metadata, source, fetched_at)
    values (${clientId}, 'none', ${metadata.clientName}, ${sql.array(metadata.redirectUris)},
      ${sql.json(metadata.document as never)}, 'metadata_document', now())
    on conflict (client_id) do update set client_name = excluded.client_name,
      redirect_uris = excluded.redirect_uris, metadata = excluded.metadata, fetched_at = now()
    returning client_id, client_name, redirect_uris, auth_method, secret_hash, source`;
  return toClient(row as ClientRow);
}

/**
 * The client a token or revocation request comes from, authenticated by its registered method
 * (RFC 6749 §2.3): HTTP Basic, the form's client_secret, or none (a public client names itself).
 */
export async function authenticateClient(
  sql: Sql,
  form: Record<string, string>,
  authorization: string | undefined,
): Promise<OAuthClient> {
  let clientId = form.client_id;
  let secret = form.client_secret;
  let usedBasic = false;
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new OAuthProblem("invalid_client", "The Basic credentials are malformed.");
    clientId = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
    usedBasic = true;
  }
  if (!clientId) throw new OAuthProblem("invalid_client", "Name the client: client_id is missing.");
  const client = await findClient(sql, clientId);
  if (!client) throw new OAuthProblem("invalid_client", "This client is not registered; register it again.");
  if (client.authMethod === "none") return client;
  const expectedBasic = client.authMethod === "client_secret_basic";
  if (!secret || !client.secretHash || usedBasic !== expectedBasic)
    throw new OAuthProblem("invalid_client", `Authenticate the client with ${client.authMethod}.`);
  if (!sameSecret(digest(secret).toString("hex"), client.secretHash.toString("hex")))
    throw new OAuthProblem("invalid_client", "The client secret is wrong.");
  return client;
}
