/**
 * Random secrets and their stored digests. Codes, tokens and client secrets are long random strings, so
 * a plain SHA-256 digest is enough to store them (nothing to brute-force); the 6-digit sign-in code is
 * protected by its 5 tries and 10 minutes instead. Prefixes tell a person or a secret scanner what a
 * leaked string is.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

export const ACCESS_TOKEN_PREFIX = "tba_";
export const REFRESH_TOKEN_PREFIX = "tbr_";
export const CODE_PREFIX = "tbc_";
export const CLIENT_SECRET_PREFIX = "tbs_";

/** `<prefix>` + 32 random bytes in base64url. */
export const randomSecret = (prefix = "") => `${prefix}${randomBytes(32).toString("base64url")}`;

export const digest = (secret: string): Buffer => createHash("sha256").update(secret).digest();

/** Six decimal digits, uniformly drawn. */
export const randomDigits = (length = 6) => Array.from({ length }, () => String(randomInt(10))).join("");

export function sameSecret(a: string, b: string): boolean {
  const left = digest(a);
  const right = digest(b);
  return timingSafeEqual(left, right);
}

/** PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) equals the challenge. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return sameSecret(createHash("sha256").update(verifier).digest("base64url"), challenge);
}
