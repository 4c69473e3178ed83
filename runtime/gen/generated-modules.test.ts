/**
 * The generated modules of a fixture project, imported for real: the registry evaluates to what the generator built
 * in memory, each group loader to the same group, loading a group imports only that group's units, and all of it
 * type-checks against the shapes in `runtime/registry.ts`.
 */
import { spawnSync } from "node:child_process";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyFixtureProject,
  type FixtureProject,
  fixturePath,
  REPO_ROOT,
} from "../../test/support/fixture-project.js";
import type { GroupLoaders, Registry } from "../registry.js";
import { runGenerator } from "./main.js";
import { groupModulePath } from "./render-group.js";
import { GROUP_LOADERS_PATH } from "./render-loaders.js";
import { buildRegistry, REGISTRY_PATH } from "./render-registry.js";
import { findUnitFiles, scanFunctions } from "./scan.js";

let project: FixtureProject;
beforeAll(async () => {
  project = await copyFixtureProject("functions-basic");
  const result = await runGenerator({ root: project.root, check: false, log: () => {} });
  expect(result.ok).toBe(true);
});
afterAll(() => project.remove());

const moduleUrl = (file: string) => pathToFileURL(path.join(project.root, file)).href;

/** What the tests compare of a registry: names, routes and which unit sits where. */
const shape = (r: Registry) =>
  Object.fromEntries(
    Object.entries(r).map(([group, g]) => [
      group,
      {
        subscriptions: g.subscriptions.map((s) => ({ name: s.name, route: s.route, topic: s.unit.topic })),
        jobs: g.jobs.map((j) => ({ name: j.name, unitName: j.unit.name })),
        tools: g.tools.map((t) => ({ name: t.name, unitName: t.unit.name })),
      },
    ]),
  );

describe("the generated modules", () => {
  it("registry.gen.ts evaluates to the registry built in memory", async () => {
    const { registry } = (await import(moduleUrl(REGISTRY_PATH))) as { registry: Registry };
    const basic = await scanFunctions(path.join(fixturePath("functions-basic"), "functions"));
    expect(Object.keys(registry)).toEqual(["alpha", "beta", "gamma-ray"]);
    expect(shape(registry)).toEqual(shape(buildRegistry(basic)));
  });

  it("groups.gen.ts has a loader per group, resolving to the very group the registry holds", async () => {
    const { registry } = (await import(moduleUrl(REGISTRY_PATH))) as { registry: Registry };
    const { groupLoaders } = (await import(moduleUrl(GROUP_LOADERS_PATH))) as { groupLoaders: GroupLoaders };
    expect(Object.keys(groupLoaders)).toEqual(Object.keys(registry));
    for (const [name, load] of Object.entries(groupLoaders)) expect(await load()).toBe(registry[name]);
  });

  it("importing groups.gen.ts imports no unit, and a loader imports its own group's units only", async () => {
    // Each unit records its evaluation; a fresh process then imports the loaders and loads one group.
    for (const file of await findUnitFiles(path.join(project.root, "functions"))) {
      await appendFile(
        path.join(project.root, "functions", file),
        `\nReflect.get(globalThis, "loadedUnits")?.push(${JSON.stringify(file)});\n`,
      );
    }
    const script = `
      globalThis.loadedUnits = [];
      const { groupLoaders } = await import(${JSON.stringify(moduleUrl(GROUP_LOADERS_PATH))});
      const onImport = [...globalThis.loadedUnits];
      await groupLoaders.beta();
      console.log(JSON.stringify({ onImport, onLoad: globalThis.loadedUnits }));`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({
      onImport: [],
      onLoad: ["beta/get_task.tool.ts", "beta/task-recurrence.topic.ts"],
    });
  }, 30_000);

  it("type-check against runtime/registry.ts (satisfies), and a wrong unit would not", async () => {
    // tsc resolves `../registry.js` next to the generated files; point it at the real one.
    await writeFile(
      path.join(project.root, "runtime/registry.ts"),
      `export type * from "${path.relative(path.join(project.root, "runtime"), path.join(REPO_ROOT, "runtime/registry.js"))}";\n`,
    );
    await writeFile(
      path.join(project.root, "tsconfig.json"),
      JSON.stringify({ extends: path.join(REPO_ROOT, "tsconfig.json"), include: ["runtime/generated"] }),
    );
    const tsc = () =>
      spawnSync(path.join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--noEmit"], {
        cwd: project.root,
        encoding: "utf8",
        timeout: 60_000,
      });
    const good = tsc();
    expect(good.stdout).toBe("");
    expect(good.status).toBe(0);

    const file = path.join(project.root, groupModulePath("beta"));
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("unit: beta_getTaskTool", "unit: beta_taskRecurrenceTopic"));
    const bad = tsc();
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/groups\/beta\.gen\.ts.*is missing the following properties/);
    await writeFile(file, text);
  }, 60_000);
});
