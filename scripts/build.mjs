#!/usr/bin/env node
// `npm run build` (also run by `npm install`, as `prepare`): compiles the TypeScript sources into dist/, the
// code `bin/taskbeat.mjs` runs when it is current. One ES module per command and per function group
// (code splitting at the dynamic imports), so `serve --group email` loads the email group's code and its
// packages only. Packages stay in node_modules; migrations are copied next to the code that reads them.
import { cp, rm, writeFile } from "node:fs/promises";

const root = new URL("../", import.meta.url);
const dist = new URL("dist/", root);

// esbuild is a development dependency: after `npm install --omit=dev` there is nothing to build with, and
// bin/taskbeat.mjs runs the sources through tsx instead.
const esbuild = await import("esbuild").catch(() => undefined);
if (!esbuild) {
  process.stderr.write("build: esbuild is not installed; taskbeat will run from its TypeScript sources\n");
  process.exit(0);
}

await rm(dist, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root.pathname,
  entryPoints: { taskbeat: "runtime/cli/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
// runtime/db/migrate.ts reads `./migrations/` beside itself; in dist/ every chunk sits in one folder.
await cp(new URL("runtime/db/migrations/", root), new URL("migrations/", dist), {
  recursive: true,
  filter: (source) => !source.endsWith(".test.ts"),
});
await writeFile(
  new URL("README.md", dist),
  "Built by `npm run build` from runtime/ and functions/; not committed.\n",
);
