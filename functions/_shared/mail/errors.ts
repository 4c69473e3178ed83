/**
 * Whether a failed send is worth repeating. Temporary: the connection (refused, reset, timed out,
 * DNS, TLS), an SMTP 4xx reply, 503 (bad command sequence: the session's state, not the message),
 * authentication and configuration errors, 530/534/535/538 included (the operator fixes the server
 * or the password; the message is fine), an aborted send, a file that could not be written.
 * Permanent: any other 5xx reply, i.e. the server refused this message or this recipient, and will again.
 */

export type MailFailureKind = "temporary" | "permanent";

export interface MailFailure {
  kind: MailFailureKind;
  /** `<reply code or error code>: <message>`, short enough for a column and a log line. */
  reason: string;
}

interface NodemailerError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

// Errors about the client's setup, not the message: retrying after the fix delivers it.
const SETUP_CODES = new Set(["EAUTH", "ENOAUTH", "EOAUTH2", "ECONFIG", "ETLS", "EREQUIRETLS", "EPROXY"]);
// 530 authentication required, 534 mechanism too weak, 535 bad credentials, 538 encryption required.
const SETUP_REPLIES = new Set([530, 534, 535, 538]);
const MAX_REASON = 500;

export function classifyMailError(error: unknown): MailFailure {
  const e = (typeof error === "object" && error !== null ? error : {}) as NodemailerError;
  const code = typeof e.code === "string" ? e.code : undefined;
  const reply = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const text =
    typeof e.response === "string" && e.response !== ""
      ? e.response
      : typeof e.message === "string"
        ? e.message
        : String(error);
  const reason = `${reply ?? code ?? "error"}: ${text.replace(/\s+/g, " ").trim()}`.slice(0, MAX_REASON);
  const permanent =
    reply !== undefined &&
    reply >= 500 &&
    reply < 600 &&
    reply !== 503 &&
    !SETUP_REPLIES.has(reply) &&
    !SETUP_CODES.has(code ?? "");
  return { kind: permanent ? "permanent" : "temporary", reason };
}
