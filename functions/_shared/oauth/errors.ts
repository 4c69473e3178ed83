/**
 * An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): a code a client acts on and a sentence a
 * person can read. Thrown inside the endpoints, turned into JSON (or a redirect) at their edge.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "temporarily_unavailable"
  | "slow_down";

export class OAuthProblem extends Error {
  override readonly name = "OAuthProblem";
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status: 400 | 401 | 429 | 503 = code === "invalid_client" ? 401 : 400,
  ) {
    super(description);
  }

  toJSON() {
    return { error: this.code, error_description: this.description };
  }
}
