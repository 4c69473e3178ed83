/**
 * Stops a long-running command when the process that started it is gone. `npm start` runs us through a
 * shell; when npm is killed without passing the signal on (SIGKILL, or a SIGTERM some npm versions do not
 * forward), we are re-parented and would keep serving, holding the ports and the database.
 */
const CHECK_MS = 500;

export function watchParent(onGone: () => void, checkMs = CHECK_MS): void {
  const parent = process.ppid;
  // Started by init (a service manager, a container's PID 1): there is no parent to follow.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, checkMs);
  timer.unref();
}
