/**
 * Secrets local mode generates once and keeps in `<TASKBEAT_HOME>/credentials.json` (0600): the embedded
 * database's password and port (kept, so a process that takes the database over serves it at the same URL
 * and the others' connections find it again), and the token pair between the app and the local sidecar
 * (as `serve` has with daprd), used unless APP_API_TOKEN / DAPR_API_TOKEN are set.
 */
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface LocalCredentials {
  dbUser: string;
  dbPassword: string;
  /** 0 until the first process to serve the database picked one. */
  dbPort: number;
  appApiToken: string;
  daprApiToken: string;
}

const fileOf = (home: string) => join(home, "credentials.json");
const secret = () => randomBytes(24).toString("base64url");

export async function localCredentials(home: string): Promise<LocalCredentials> {
  const existing = await readCredentials(home);
  if (existing) return existing;
  const fresh: LocalCredentials = {
    dbUser: "taskbeat",
    dbPassword: secret(),
    dbPort: 0,
    appApiToken: secret(),
    daprApiToken: secret(),
  };
  try {
    await writeFile(fileOf(home), `${JSON.stringify(fresh, null, 2)}\n`, { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    const theirs = await readCredentials(home);
    if (!theirs) throw new Error(`${fileOf(home)} is unreadable; remove it to have new credentials made`);
    return theirs;
  }
}

export async function saveCredentials(home: string, credentials: LocalCredentials): Promise<void> {
  await writeFile(fileOf(home), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(fileOf(home), 0o600);
}

export async function readCredentials(home: string): Promise<LocalCredentials | undefined> {
  try {
    return JSON.parse(await readFile(fileOf(home), "utf8")) as LocalCredentials;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    // Half-written by a racing first run: try again shortly.
    await new Promise((done) => setTimeout(done, 100));
    return JSON.parse(await readFile(fileOf(home), "utf8")) as LocalCredentials;
  }
}
