/** Loopback only, with any port: what `taskbeat start` serves. Deployments list their public names. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];
