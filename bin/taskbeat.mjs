#!/usr/bin/env node
// The `taskbeat` command. Runs the compiled build in dist/ (`npm run build`, which `npm install` runs) when
// it is newer than every source it was built from; otherwise runs the TypeScript sources through tsx's
// loader, so an edited handler never runs as stale code and there is still no build step while editing.
// The container image ships dist/ without the sources.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const built = join(root, "dist", "taskbeat.js");

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The build is current when no source (handler, runtime module, migration) changed after it was made. */
function buildIsCurrent() {
  const builtAt = mtime(built);
  if (builtAt === undefined) return false;
  for (const dir of ["runtime", "functions"]) {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.endsWith(".test.ts") || !/\.(ts|sql)$/.test(entry.name)) continue;
      if ((mtime(join(entry.parentPath ?? entry.path, entry.name)) ?? 0) > builtAt) return false;
    }
  }
  return true;
}

let main;
if (buildIsCurrent()) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../runtime/cli/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
