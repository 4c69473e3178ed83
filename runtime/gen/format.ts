/**
 * Generated TypeScript (and the README around its generated table) is formatted by biome itself, with the
 * project's biome.json, rather than printed in an imitation of biome's style: the renderers write plain,
 * readable text and this pass decides the line breaks. One biome run formats every file, in a scratch folder
 * under the project root (so the project's configuration applies; removed afterwards). `npm run gen` runs in a
 * development checkout, where biome (a development dependency) is installed.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { GeneratedFile } from "./units.js";

const FORMATTED = /\.(ts|md)$/;

/** The `.ts` and `.md` files formatted as `biome format` would write them at their paths in `root`. */
export function formatWithBiome(files: readonly GeneratedFile[], root: string): GeneratedFile[] {
  const targets = files.filter((file) => FORMATTED.test(file.path));
  if (targets.length === 0) return [...files];
  const scratch = mkdtempSync(path.join(root, ".gen-format-"));
  try {
    const relative = path.relative(root, scratch);
    for (const file of targets) {
      const target = path.join(scratch, file.path);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    const args = [
      "format",
      "--write",
      "--vcs-use-ignore-file=false",
      ...targets.map((f) => path.join(relative, f.path)),
    ];
    const result = spawnSync(process.execPath, [biomeBin(root), ...args], { cwd: root, encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(
        `biome could not format the generated files: ${(result.stderr || result.stdout).trim()}`,
      );
    }
    const formatted = new Map(
      targets.map((file) => [file, readFileSync(path.join(scratch, file.path), "utf8")]),
    );
    return files.map((file) => ({ path: file.path, content: formatted.get(file) ?? file.content }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let bin: string | undefined;

function biomeBin(root: string): string {
  try {
    bin ??= createRequire(path.join(root, "package.json")).resolve("@biomejs/biome/bin/biome");
    return bin;
  } catch {
    try {
      // A project without its own biome (a test fixture): this checkout's.
      bin ??= createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
      return bin;
    } catch {
      throw new Error(
        "npm run gen formats what it writes with biome, a development dependency: run npm install",
      );
    }
  }
}
