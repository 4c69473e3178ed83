/**
 * Who serves a TASKBEAT_HOME's embedded database: `<home>/database.json` ({pid, url, role, …}, 0600 as it
 * carries the password), created exclusively by the process that opens the data directory (PGlite's
 * directory must never be opened by two processes) and removed when it closes it. A holder that died
 * leaves its file behind; the next process to look finds its pid gone and claims the file.
 */
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface Announcement {
  pid: number;
  /** Where the database listens, once it does. */
  url?: string;
  /** What the holder is: "start", "mcp", or a one-off command ("command"). */
  role?: string;
  /** The holder's app and local sidecar, while it does the background work. */
  appUrl?: string;
  sidecarUrl?: string;
}

export const lockFile = (home: string) => join(home, "database.json");

/** The live holder, "starting" while one is between claiming and announcing, or undefined. */
export async function holderOf(home: string): Promise<Announcement | "starting" | undefined> {
  const holder = await readAnnouncement(lockFile(home));
  if (holder === "starting") return holder;
  return holder !== undefined && isAlive(holder.pid) ? holder : undefined;
}

/**
 * Claims the database for this process; false when a live process holds it. Two processes that both
 * find a dead holder may both remove its file, but only one creates the new one (`wx`); the re-read
 * afterwards catches the one case left, a remove that lands after the other's create.
 */
export async function claim(home: string, role: string): Promise<boolean> {
  const path = lockFile(home);
  const holder = await readAnnouncement(path);
  if (holder === "starting" || (holder !== undefined && isAlive(holder.pid))) return false;
  if (holder !== undefined) await rm(path, { force: true });
  try {
    await writeFile(path, JSON.stringify({ pid: process.pid, role } satisfies Announcement), {
      flag: "wx",
      mode: 0o600,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST") return false;
    throw error;
  }
  await new Promise((done) => setTimeout(done, 50));
  const now = await readAnnouncement(path);
  return now !== "starting" && now?.pid === process.pid;
}

export async function announce(home: string, announcement: Omit<Announcement, "pid">): Promise<void> {
  await writeFile(lockFile(home), JSON.stringify({ pid: process.pid, ...announcement }), { mode: 0o600 });
}

/** Removes the file if it is still this process's. */
export async function release(home: string): Promise<void> {
  const holder = await readAnnouncement(lockFile(home));
  if (holder !== "starting" && holder?.pid === process.pid) await rm(lockFile(home), { force: true });
}

async function readAnnouncement(path: string): Promise<Announcement | "starting" | undefined> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Announcement>;
    if (typeof parsed.pid === "number") return { ...parsed, pid: parsed.pid };
  } catch {
    // Empty or half-written: its writer is at work, or died mid-write long ago (then it is stale).
  }
  return Date.now() - modified < 5_000 ? "starting" : { pid: 0 };
}

export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: unknown }).code === "EPERM";
  }
}
