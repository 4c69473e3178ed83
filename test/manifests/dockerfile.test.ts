/**
 * CI has no Docker engine, so the image is checked by reading the Dockerfile: the last stage runs
 * `taskbeat serve --group $FUNCTION_GROUP` as a non-root user, and only production dependencies go in.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage, with line continuations joined and comments dropped. */
function stages(text: string): Instruction[][] {
  const joined = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  const result: Instruction[][] = [];
  for (const line of joined.split("\n")) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const instruction = { keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim() };
    if (instruction.keyword === "FROM") result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const all = stages(dockerfile);
const last = all.at(-1) ?? [];
const lastOf = (keyword: string) => last.filter((i) => i.keyword === keyword).at(-1)?.args;

describe("Dockerfile", () => {
  it("is multi-stage", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
  });

  it("runs `taskbeat serve --group $FUNCTION_GROUP`", () => {
    const entrypoint = lastOf("ENTRYPOINT");
    const cmd = lastOf("CMD");
    const command = [entrypoint, cmd]
      .filter((x): x is string => x !== undefined)
      .map((x) => (x.startsWith("[") ? (JSON.parse(x) as string[]).join(" ") : x))
      .join(" ");
    expect(command).toMatch(/\btaskbeat serve --group "?\$\{?FUNCTION_GROUP\b/);
    // `taskbeat` resolves to the package's bin.
    expect(
      last.some(
        (i) => i.keyword === "RUN" && /\/app\/bin\/taskbeat\.mjs \/usr\/local\/bin\/taskbeat/.test(i.args),
      ),
    ).toBe(true);
  });

  it("runs as a numeric non-root user", () => {
    const user = lastOf("USER");
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user?.split(":")[0])).toBeGreaterThan(0);
  });

  it("installs production dependencies only, from the lockfile", () => {
    const installs = all.flat().filter((i) => i.keyword === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const i of installs) expect(i.args).toMatch(/npm ci\b.*--omit=dev/);
    expect(last.filter((i) => i.keyword === "COPY").map((i) => i.args)).toContain(
      "--from=deps /app/node_modules ./node_modules",
    );
  });

  it("ships the sources the command needs, and .dockerignore keeps tests out", () => {
    const copied = last.filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/)[0]);
    for (const dir of ["bin", "runtime", "functions", "jobs", "package.json"]) expect(copied).toContain(dir);
    const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8");
    expect(ignore).toMatch(/^\*\*\/\*\.test\.ts$/m);
    expect(ignore).toMatch(/^\*\*$/m);
  });
});
