/**
 * The benchmarks spawn `bin/taskbeat.mjs`, which runs the TypeScript sources through tsx when dist/ is
 * older than a source (spawn → ready ~320 ms instead of ~155 ms here, and not what the image runs). So
 * the bench builds first when the build is stale, and measures the compiled code of the current sources.
 */
import { execFileSync } from "node:child_process";
import { buildIsCurrent } from "../../bin/build-state.mjs";
import { ROOT } from "./proc.js";

export function buildIfStale(log: (msg: string) => void): void {
  if (buildIsCurrent(ROOT)) return;
  log("dist/ is older than the sources: npm run build");
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
}
