/**
 * A throw-away copy of a fixture project (`test/fixtures/<name>/` with `functions/` and `jobs/`) that tests may
 * change. Copies live in `<repo>/.taskbeat/tmp/<id>/` (git-ignored), three levels below the repo root like
 * `test/fixtures/<name>/`, so the fixtures' `../../../../../runtime/define.js` imports and `valibot` still resolve.
 */
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function fixturePath(name: string): string {
  return path.join(REPO_ROOT, "test/fixtures", name);
}

export interface FixtureProject {
  root: string;
  remove(): Promise<void>;
}

export async function copyFixtureProject(name: string): Promise<FixtureProject> {
  const parent = path.join(REPO_ROOT, ".taskbeat/tmp");
  await mkdir(parent, { recursive: true });
  const root = await mkdtemp(path.join(parent, `${name}-`));
  await cp(fixturePath(name), root, { recursive: true });
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
