/**
 * A listen failure as a message an operator can act on. The most common one, a port already taken
 * (EADDRINUSE), names the port and the variable that moves it; the caller closes what it opened and
 * fails, so the process exits non-zero at once (and Kubernetes restarts the pod) instead of hanging.
 */
export function listenError(
  error: unknown,
  what: string,
  host: string,
  port: number,
  variable: string,
): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") {
    return new Error(
      `${what}: port ${port} on ${host} is already in use (EADDRINUSE); stop what holds it or set ${variable}`,
      { cause: error },
    );
  }
  if (code === "EACCES") {
    return new Error(`${what}: not allowed to listen on port ${port} on ${host} (EACCES); set ${variable}`, {
      cause: error,
    });
  }
  return new Error(`${what}: cannot listen on ${host}:${port}: ${(error as Error)?.message ?? error}`, {
    cause: error,
  });
}
