/**
 * Where local mode keeps its state: TASKBEAT_HOME (config.ts defaults it to the per-user XDG data
 * directory), so `taskbeat mcp` started by a desktop assistant from its own directory finds the same data
 * as `taskbeat start` run in the project. A project-local `./.taskbeat` from before is moved there once,
 * when the per-user directory has no database yet and nothing is using the old one; otherwise (in use,
 * another file system) it is used where it is, with a warning that says how to move it.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, rmdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Config, defaultLocalHome } from "../../config.js";
import type { Logger } from "../../log.js";
import { holderOf } from "./lock.js";

const LEGACY_DIR = ".taskbeat";

/** The absolute TASKBEAT_HOME this process uses, created (0700) if missing. */
export async function resolveLocalHome(config: Config, log: Logger, cwd = process.cwd()): Promise<string> {
  let home = resolve(config.TASKBEAT_HOME);
  const legacy = resolve(cwd, LEGACY_DIR);
  const isDefault = home === resolve(defaultLocalHome());
  if (isDefault && legacy !== home && existsSync(join(legacy, "pgdata"))) {
    if (existsSync(join(home, "pgdata"))) {
      log.warn("ignoring the project-local data; TASKBEAT_HOME=.taskbeat would use it", { legacy, home });
    } else {
      home = await moveLegacy(legacy, home, log);
    }
  }
  await mkdir(home, { recursive: true, mode: 0o700 });
  return home;
}

async function moveLegacy(legacy: string, home: string, log: Logger): Promise<string> {
  if ((await holderOf(legacy)) !== undefined) {
    log.warn("using the project-local data in place: a process is using it; stop it to have it moved", {
      legacy,
      home,
    });
    return legacy;
  }
  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await rm(join(legacy, "database.json"), { force: true });
    for (const entry of await readdir(legacy)) {
      if (!existsSync(join(home, entry))) await rename(join(legacy, entry), join(home, entry));
    }
    await rmdir(legacy).catch(() => {});
    process.stderr.write(`taskbeat: moved the local data from ${legacy} to ${home} (once; see README)\n`);
    return home;
  } catch (error) {
    log.warn(`using the project-local data in place; move it yourself: mv ${legacy} ${home}`, {
      error: error instanceof Error ? error.message : String(error),
    });
    return legacy;
  }
}
