// Whether dist/ is current: built after every source it was built from (handlers, runtime modules,
// migrations; tests do not count). bin/taskbeat.mjs runs dist/ only then, and the benchmarks build first
// when it is not, so they measure what the image runs.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** `root` is the project folder; dist/taskbeat.js is the build's entry point. */
export function buildIsCurrent(root) {
  const builtAt = mtime(join(root, "dist", "taskbeat.js"));
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
