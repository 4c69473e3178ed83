/**
 * Generated files that nothing generates any more: a Subscription YAML whose topic handler was deleted, the module
 * of a group whose folder is gone. Only files carrying the generator's header are ever reported (and then deleted),
 * so a hand-written file next to them is left alone.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { GROUPS_DIR } from "./render-group.js";
import { isGeneratedYaml, SUBSCRIPTIONS_DIR } from "./render-subscriptions.js";
import { isGeneratedSource } from "./ts-source.js";
import { byCodePoint } from "./units.js";

export interface StaleFile {
  /** Relative to the project root, `/`-separated. */
  path: string;
  /** Why nothing generates it, for the log line. */
  reason: string;
}

interface GeneratedKind {
  /** The folder the generator writes these files to, relative to the root. */
  dir: string;
  /** Which file names in `dir` the generator could have written. */
  name: RegExp;
  isGenerated(content: string): boolean;
  reason: string;
}

const KINDS: readonly GeneratedKind[] = [
  {
    dir: GROUPS_DIR,
    name: /\.gen\.ts$/,
    isGenerated: isGeneratedSource,
    reason: "its function group no longer exists",
  },
  {
    dir: SUBSCRIPTIONS_DIR,
    name: /\.ya?ml$/,
    isGenerated: isGeneratedYaml,
    reason: "no topic handler generates it any more",
  },
];

/** The generated files under `root` that are not among `expected` (paths relative to root), sorted by path. */
export async function findStaleFiles(root: string, expected: ReadonlySet<string>): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const kind of KINDS) {
    for (const name of await listFiles(path.join(root, kind.dir))) {
      const file = `${kind.dir}/${name}`;
      if (!kind.name.test(name) || expected.has(file)) continue;
      const content = await readText(path.join(root, file));
      if (content !== undefined && kind.isGenerated(content)) stale.push({ path: file, reason: kind.reason });
    }
  }
  return stale.sort((a, b) => byCodePoint(a.path, b.path));
}

/** The text of `file`, or undefined when there is no such file. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR") return undefined;
    throw error;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(byCodePoint);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
