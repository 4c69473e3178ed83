/**
 * What keeps a web page away from the local sidecar: a browser sends `Origin` on every cross-origin
 * request (and on same-origin POSTs), daprd's clients never do, so any `Origin` is refused; and a page
 * that rebinds its own DNS name to 127.0.0.1 still sends its own name as `Host`, so on a loopback
 * listener only loopback names are accepted (DNS rebinding).
 */
import type { IncomingHttpHeaders } from "node:http";

export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];

/** Why the request is refused, or undefined when it may go on. */
export function foreignRequest(
  headers: IncomingHttpHeaders,
  allowedHosts: readonly string[] | undefined,
): string | undefined {
  if (headers.origin !== undefined) return "requests from web pages (an Origin header) are refused";
  if (allowedHosts === undefined) return undefined;
  const host = hostnameOf(headers.host ?? "");
  return allowedHosts.includes(host) ? undefined : `host "${host}" is not allowed`;
}

/** `example.com:3500` → `example.com`, `[::1]:3500` → `::1`, lower-cased. */
function hostnameOf(host: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(host);
  if (bracketed) return (bracketed[1] ?? "").toLowerCase();
  return host.replace(/:\d*$/, "").toLowerCase();
}
