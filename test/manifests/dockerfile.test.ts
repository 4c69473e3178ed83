/**
 * CI has no Docker engine, so the image is checked by reading the Dockerfile: the last stage runs
 * `taskbeat serve --group $FUNCTION_GROUP` as a non-root user, from the compiled build, with production
 * dependencies only.
 */
import { readdirSync, readFileSync } from "node:fs";
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

  it("installs from the lockfile, and ships production dependencies only", () => {
    const installs = all.flat().filter((i) => i.keyword === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const i of installs) expect(i.args).toMatch(/npm ci\b/);
    const depsStage = all.find((stage) => stage[0]?.args.endsWith(" AS deps")) ?? [];
    expect(depsStage.some((i) => i.keyword === "RUN" && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    expect(last.filter((i) => i.keyword === "COPY").map((i) => i.args)).toContain(
      "--from=deps /app/node_modules ./node_modules",
    );
  });

  it("ships every dependency patched in patches/ with its patch applied (postinstall does not run there)", () => {
    const patched = readdirSync(path.join(root, "patches"))
      .filter((file) => file.endsWith(".patch"))
      .map((file) => file.replace(/\+[^+]+\.patch$/, "").replaceAll("+", "/"));
    expect(patched).toContain("postgres");
    const buildStage = all.find((stage) => stage[0]?.args.endsWith(" AS build")) ?? [];
    expect(buildStage.map((i) => `${i.keyword} ${i.args}`)).toContain("COPY patches ./patches");
    expect(
      buildStage.some(
        (i) =>
          i.keyword === "RUN" &&
          /npm ci\b.*&& node_modules\/\.bin\/patch-package --error-on-fail/.test(i.args),
      ),
    ).toBe(true);
    const copied = last.filter((i) => i.keyword === "COPY").map((i) => i.args);
    const fromDeps = copied.indexOf("--from=deps /app/node_modules ./node_modules");
    for (const name of patched) {
      // After the unpatched copy from deps, so it replaces it.
      expect(copied.indexOf(`--from=build /app/node_modules/${name} ./node_modules/${name}`)).toBeGreaterThan(
        fromDeps,
      );
    }
    const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8");
    expect(ignore).toMatch(/^!patches\/\*\*$/m);
  });

  it("builds dist/ in a build stage and ships it with bin/ and jobs/, without the sources", () => {
    const buildStage = all.find((stage) => stage[0]?.args.endsWith(" AS build")) ?? [];
    expect(buildStage.some((i) => i.keyword === "RUN" && i.args === "npm run build")).toBe(true);
    const copied = last.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copied).toContain("--from=build /app/dist ./dist");
    const sources = copied.map((args) => args.split(/\s+/)[0]);
    for (const item of ["bin", "jobs", "package.json"]) expect(sources).toContain(item);
    for (const item of ["runtime", "functions"]) expect(sources).not.toContain(item);
    const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8");
    expect(ignore).toMatch(/^\*\*\/\*\.test\.ts$/m);
    expect(ignore).toMatch(/^\*\*$/m);
  });
});
