/**
 * Client ID Metadata Documents (the MCP authorization spec's preferred registration): a client_id that
 * is an https URL names a JSON document of the client's metadata, fetched from that URL. Fetching a URL a
 * stranger chose is a server-side request forgery risk, so: https only (http only to a loopback host),
 * every resolved address must be public unless the host is listed in OAUTH_CIMD_ALLOWED_HOSTS, the
 * address checked is the one connected to (the check runs inside the socket's DNS lookup, so a
 * rebinding answer cannot slip past it), no redirects, 5 seconds, 64 KiB. A fetched document is kept
 * for an hour.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import type { Sql } from "postgres";
import { findClient, type OAuthClient, parseClientMetadata, saveMetadataDocumentClient } from "./clients.js";
import { OAuthProblem } from "./errors.js";
import { isLoopbackHost } from "./redirects.js";
import type { OAuthSettings } from "./settings.js";

export const FETCH_TIMEOUT_MS = 5_000;
export const MAX_DOCUMENT_BYTES = 64 * 1024;
const CACHE_SECONDS = 3600;

/** An https URL with a path (or loopback http), no fragment, no credentials: the shape the spec gives. */
export function isMetadataDocumentClientId(clientId: string): boolean {
  if (!URL.canParse(clientId)) return false;
  const url = new URL(clientId);
  const scheme = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
  return scheme && url.pathname !== "/" && !url.hash && !url.username && !url.password;
}

/** The client the document describes, from the cache when fetched within the hour. */
export async function resolveMetadataDocumentClient(
  sql: Sql,
  clientId: string,
  settings: OAuthSettings,
): Promise<OAuthClient> {
  const [fresh] = await sql<{ fresh: boolean }[]>`
    select fetched_at > now() - make_interval(secs => ${CACHE_SECONDS}) as fresh
    from oauth_clients where client_id = ${clientId} and source = 'metadata_document'`;
  if (fresh?.fresh) {
    const cached = await findClient(sql, clientId);
    if (cached) return cached;
  }
  const body = await fetchDocument(clientId, settings.cimdAllowedHosts);
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new OAuthProblem("invalid_client", "The client metadata document is not JSON.");
  }
  if (
    typeof document !== "object" ||
    document === null ||
    (document as { client_id?: unknown }).client_id !== clientId
  )
    throw new OAuthProblem("invalid_client", "The client metadata document's client_id is not its own URL.");
  const method = (document as { token_endpoint_auth_method?: unknown }).token_endpoint_auth_method ?? "none";
  if (method !== "none")
    throw new OAuthProblem(
      "invalid_client",
      'A metadata-document client must use token_endpoint_auth_method "none".',
    );
  const metadata = parseClientMetadata({ ...document, token_endpoint_auth_method: "none" });
  return saveMetadataDocumentClient(sql, clientId, metadata);
}

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["64:ff9b::", 96],
] as const)
  PRIVATE.addSubnet(network, prefix, "ipv6");

/** Whether an address is one a stranger's URL may make us connect to. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  const family = isIP(address);
  if (family === 0) return false;
  return !PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

function guardedLookup(hostname: string, allowed: readonly string[]): LookupFunction {
  const trusted = allowed.includes(hostname.toLowerCase().replace(/^\[|\]$/g, ""));
  return (host, options, callback) => {
    dnsLookup(host, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = addresses as LookupAddress[];
      const refused = list.find((entry) => !trusted && !isPublicAddress(entry.address));
      if (refused || list.length === 0) {
        const problem = Object.assign(new Error(`${host} resolves to a private address`), {
          code: "EPRIVATE",
        });
        return callback(problem, "", 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

function fetchDocument(clientId: string, allowedHosts: readonly string[]): Promise<string> {
  const url = new URL(clientId);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const fail = (message: string) =>
    new OAuthProblem("invalid_client", `The client metadata document ${message}.`);
  return new Promise((resolve, reject) => {
    // An IP literal skips the lookup hook, so it is checked here.
    if (isIP(hostname) !== 0 && !isPublicAddress(hostname) && !allowedHosts.includes(hostname.toLowerCase()))
      return reject(fail("is on a private address"));
    const req = request(
      url,
      {
        method: "GET",
        headers: { accept: "application/json" },
        lookup: guardedLookup(hostname, allowedHosts),
        timeout: FETCH_TIMEOUT_MS,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(fail(`answered HTTP ${res.statusCode} (redirects are not followed)`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_DOCUMENT_BYTES) {
            req.destroy();
            reject(fail(`is larger than ${MAX_DOCUMENT_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        res.on("error", () => reject(fail("could not be read")));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error: NodeJS.ErrnoException) =>
      reject(fail(error.code === "EPRIVATE" ? "is on a private address" : "could not be fetched")),
    );
    req.end();
  });
}
