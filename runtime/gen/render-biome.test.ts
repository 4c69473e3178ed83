/**
 * The generated modules are committed and checked by `biome check`: what the renderers write, once formatted by
 * biome (format.ts), must pass it (lint rules and the import order included), from the empty project to group
 * names long enough to overflow every line.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import { fixturePath, REPO_ROOT } from "../../test/support/fixture-project.js";
import { namesUpTo, topicsInGroups, topicUnits } from "../../test/support/scanned-units.js";
import { defineJob, defineSubscription, defineTool } from "../define.js";
import { formatWithBiome } from "./format.js";
import { renderGroupModule } from "./render-group.js";
import { renderGroupLoaders } from "./render-loaders.js";
import { renderRegistry } from "./render-registry.js";
import { type ScannedUnit, scanFunctions, validateUnits } from "./scan.js";

const BIOME = path.join(REPO_ROOT, "node_modules/.bin/biome");

/** What `biome check --write` (format + organize imports + safe fixes, with the repo's biome.json) makes of `text`. */
function biomeCheck(file: string, text: string): { output: string; status: number | null; stderr: string } {
  const result = spawnSync(BIOME, ["check", "--write", `--stdin-file-path=${file}`], {
    cwd: REPO_ROOT,
    input: text,
    encoding: "utf8",
    timeout: 15_000,
  });
  return { output: result.stdout, status: result.status, stderr: result.stderr };
}

/** Formats `rendered` as `npm run gen` does, then expects `biome check --write` to change nothing. */
function expectUnchangedByBiome(file: string, rendered: string): void {
  const [formatted] = formatWithBiome([{ path: file, content: rendered }], REPO_ROOT);
  const text = formatted?.content ?? "";
  const result = biomeCheck(file, text);
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  expect(result.output).toBe(text);
}

let basic: ScannedUnit[];
/** Names from 1 to 120 characters: past the line width in every line that holds one (twice, for the loaders). */
let manyGroups: ScannedUnit[];
beforeAll(async () => {
  basic = await scanFunctions(path.join(fixturePath("functions-basic"), "functions"));
  manyGroups = topicsInGroups(namesUpTo(120));
});

describe("the generated modules, as biome formats them", () => {
  it("registry.gen.ts is left unchanged by `biome check --write`", () => {
    for (const units of [[], basic, manyGroups]) {
      expectUnchangedByBiome("runtime/generated/registry.gen.ts", renderRegistry(units));
    }
  });

  it("groups.gen.ts is left unchanged by `biome check --write`", () => {
    for (const units of [[], basic, manyGroups]) {
      expectUnchangedByBiome("runtime/generated/groups.gen.ts", renderGroupLoaders(units));
    }
  });

  it("groups/<group>.gen.ts is left unchanged by `biome check --write`, however long the names", () => {
    for (const group of ["alpha", "beta", "gamma-ray"]) {
      expectUnchangedByBiome(`runtime/generated/groups/${group}.gen.ts`, renderGroupModule(basic, group));
    }
    const topics = topicUnits(namesUpTo(120).map((name) => ({ group: "gamma-ray", name })));
    expectUnchangedByBiome(
      "runtime/generated/groups/gamma-ray.gen.ts",
      renderGroupModule(topics, "gamma-ray"),
    );

    const group = `${"g".repeat(100)}-h`;
    const topic = "s".repeat(120);
    const job = "t".repeat(60);
    const tool = `${"u_".repeat(31)}u`;
    const long = validateUnits([
      {
        path: `${group}/${topic}.topic.ts`,
        module: { default: defineSubscription({ pubsub: "p", topic, schema: v.unknown(), handle() {} }) },
      },
      { path: `${group}/${job}.job.ts`, module: { default: defineJob({ name: job, handle() {} }) } },
      {
        path: `${group}/${tool}.tool.ts`,
        module: {
          default: defineTool({
            name: tool,
            description: "d",
            input: v.object({}),
            output: v.object({}),
            annotations: {},
            handle: () => ({}),
            summarize: () => "",
          }),
        },
      },
    ]);
    expectUnchangedByBiome(`runtime/generated/groups/${group}.gen.ts`, renderGroupModule(long, group));
  });

  it("would be caught if they did not pass biome check (control)", () => {
    const misformatted = renderGroupModule(basic, "alpha").replace("  tools: [],", "  tools: [ ],");
    expect(biomeCheck("runtime/generated/groups/alpha.gen.ts", misformatted).output).not.toBe(misformatted);
  });
});
