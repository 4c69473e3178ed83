#!/usr/bin/env node
// The `taskbeat` command. Runs the compiled build in dist/ (`npm run build`, which `npm install` runs) when
// it is newer than every source it was built from; otherwise runs the TypeScript sources through tsx's
// loader, so an edited handler never runs as stale code and there is still no build step while editing.
// The container image ships dist/ without the sources.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildIsCurrent } from "./build-state.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));

let main;
if (buildIsCurrent(root)) {
  ({ main } = await import(pathToFileURL(join(root, "dist", "taskbeat.js")).href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../runtime/cli/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
