/**
 * Which redirect URIs a client may register and how a request's URI is matched against them. Exact
 * string match (OAuth 2.1 §4.1.3), with one exception from RFC 8252 §7.3: a native app's loopback
 * redirect (`http://127.0.0.1:<port>/…`, `[::1]`, `localhost`) matches at any port, since the app picks
 * a free port each time.
 */
const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

export const isLoopbackHost = (hostname: string) => LOOPBACK.has(hostname.toLowerCase());

/** Why the URI cannot be registered, or undefined. */
export function redirectUriProblem(raw: string): string | undefined {
  if (!URL.canParse(raw)) return `${JSON.stringify(raw)} is not an absolute URI.`;
  const url = new URL(raw);
  if (url.hash !== "" || raw.includes("#")) return `${raw} has a fragment; redirect URIs may not.`;
  if (url.username || url.password) return `${raw} carries credentials; redirect URIs may not.`;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === "https") return undefined;
  if (scheme === "http")
    return isLoopbackHost(url.hostname)
      ? undefined
      : `${raw} uses http on a non-loopback host; use https (http is allowed for 127.0.0.1, [::1] and localhost only).`;
  // RFC 8252 §7.1: a native app's private-use scheme is a reversed domain name, e.g. com.example.app.
  if (["javascript", "data", "file", "vbscript", "blob", "about"].includes(scheme) || !scheme.includes("."))
    return `${raw} uses the scheme "${scheme}"; use https, loopback http, or a reversed-domain scheme like com.example.app.`;
  return undefined;
}

/** Whether `requested` is one of the client's registered redirect URIs. */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  if (!URL.canParse(requested)) return false;
  const asked = new URL(requested);
  if (asked.protocol !== "http:" || !isLoopbackHost(asked.hostname)) return false;
  asked.port = "";
  return registered.some((candidate) => {
    if (!URL.canParse(candidate)) return false;
    const known = new URL(candidate);
    if (known.protocol !== "http:" || known.hostname !== asked.hostname) return false;
    // Everything but the port must be the same.
    known.port = "";
    return known.href === asked.href;
  });
}
