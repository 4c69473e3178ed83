import { existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyFixtureProject, type FixtureProject, REPO_ROOT } from "../../test/support/fixture-project.js";
import { type GeneratorOptions, runGenerator } from "./main.js";

const projects: FixtureProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.remove()));
});

async function project(name: string): Promise<FixtureProject> {
  const copy = await copyFixtureProject(name);
  projects.push(copy);
  return copy;
}

/** Runs the generator and returns its result with the lines it logged. */
async function gen(root: string, check: boolean, options: Partial<GeneratorOptions> = {}) {
  const lines: string[] = [];
  const result = await runGenerator({ root, check, log: (line) => lines.push(line), ...options });
  return { ...result, lines };
}

const ALL_OUTPUTS = [
  "runtime/generated/commands.gen.ts",
  "runtime/generated/groups.gen.ts",
  "runtime/generated/groups/alpha.gen.ts",
  "runtime/generated/groups/beta.gen.ts",
  "runtime/generated/groups/gamma-ray.gen.ts",
  "runtime/generated/registry.gen.ts",
  "subscriptions/alpha.reminder-due.yaml",
  "subscriptions/beta.task-recurrence.yaml",
  "subscriptions/gamma-ray.task-reminders.yaml",
];

describe("runGenerator", () => {
  it("writes every output, then --check passes and a second run changes nothing", async () => {
    const { root } = await project("functions-basic");

    const before = await gen(root, true);
    expect(before.ok).toBe(false);
    expect(before.changed).toEqual(ALL_OUTPUTS);
    expect(ALL_OUTPUTS.some((file) => existsSync(path.join(root, file)))).toBe(false);

    const written = await gen(root, false);
    expect(written).toMatchObject({ ok: true, changed: ALL_OUTPUTS, problems: [] });
    expect(written.lines).toEqual(ALL_OUTPUTS.map((file) => `wrote ${file}`));

    expect(await gen(root, true)).toMatchObject({ ok: true, changed: [] });
    const again = await gen(root, false);
    expect(again).toMatchObject({ ok: true, changed: [] });
    expect(again.lines).toEqual(["generated files are up to date"]);
  });

  it("--check fails naming the file when a handler changes, and writes nothing", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    const handler = path.join(root, "functions/alpha/reminder-due.topic.ts");
    await writeFile(handler, (await readFile(handler, "utf8")).replace('"task-reminders"', '"task-nudges"'));
    const yamlPath = path.join(root, "subscriptions/alpha.reminder-due.yaml");
    const yamlBefore = await readFile(yamlPath, "utf8");

    const check = await gen(root, true);
    expect(check).toMatchObject({ ok: false, changed: ["subscriptions/alpha.reminder-due.yaml"] });
    expect(check.lines).toEqual(["subscriptions/alpha.reminder-due.yaml is out of date; run npm run gen"]);
    expect(await readFile(yamlPath, "utf8")).toBe(yamlBefore);

    await gen(root, false);
    expect(await readFile(yamlPath, "utf8")).toContain("topic: task-nudges");
    expect((await gen(root, true)).ok).toBe(true);
  });

  it("--check fails on a hand-edited generated file, whichever it is", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    for (const file of ALL_OUTPUTS) {
      const target = path.join(root, file);
      const original = await readFile(target, "utf8");
      await writeFile(target, `${original}// local tweak\n`);
      const check = await gen(root, true);
      expect(check.lines).toEqual([`${file} is out of date; run npm run gen`]);
      await writeFile(target, original);
    }
  });

  it("--check names the group modules when a handler moves to another group", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    await rename(
      path.join(root, "functions/beta/get_task.tool.ts"),
      path.join(root, "functions/alpha/get_task.tool.ts"),
    );
    const check = await gen(root, true);
    // commands.gen.ts lists the groups that serve tools.
    expect(check.changed).toEqual([
      "runtime/generated/commands.gen.ts",
      "runtime/generated/groups/alpha.gen.ts",
      "runtime/generated/groups/beta.gen.ts",
    ]);
  });

  it("finds stale generated YAMLs, deletes them on write, and leaves hand-written files alone", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    const generated = await readFile(path.join(root, "subscriptions/alpha.reminder-due.yaml"), "utf8");
    await writeFile(path.join(root, "subscriptions/alpha.old-topic.yaml"), generated);
    await writeFile(path.join(root, "subscriptions/kustomization.yaml"), "resources: []\n");

    const check = await gen(root, true);
    expect(check).toMatchObject({ ok: false, changed: ["subscriptions/alpha.old-topic.yaml"] });
    expect(check.lines).toEqual([
      "subscriptions/alpha.old-topic.yaml is out of date; run npm run gen (no topic handler generates it any more)",
    ]);

    const written = await gen(root, false);
    expect(written.lines).toEqual([
      "deleted subscriptions/alpha.old-topic.yaml (no topic handler generates it any more)",
    ]);
    expect(existsSync(path.join(root, "subscriptions/alpha.old-topic.yaml"))).toBe(false);
    expect(existsSync(path.join(root, "subscriptions/kustomization.yaml"))).toBe(true);
    expect((await gen(root, true)).ok).toBe(true);
  });

  it("detects the YAML of a deleted handler as stale, and its group module as out of date", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    await rm(path.join(root, "functions/beta/task-recurrence.topic.ts"));

    const check = await gen(root, true);
    expect(check.changed).toEqual([
      "runtime/generated/groups/beta.gen.ts",
      "subscriptions/beta.task-recurrence.yaml",
    ]);
    expect(check.lines).toEqual([
      "runtime/generated/groups/beta.gen.ts is out of date; run npm run gen",
      "subscriptions/beta.task-recurrence.yaml is out of date; run npm run gen (no topic handler generates it any more)",
    ]);

    await gen(root, false);
    expect(existsSync(path.join(root, "subscriptions/beta.task-recurrence.yaml"))).toBe(false);
    expect(await readFile(path.join(root, "runtime/generated/groups/beta.gen.ts"), "utf8")).not.toContain(
      "task-recurrence",
    );
  });

  it("detects the module of a deleted group as stale, deletes it, and leaves hand-written modules alone", async () => {
    const { root } = await project("functions-basic");
    await gen(root, false);
    await rm(path.join(root, "functions/gamma-ray"), { recursive: true });
    const handWritten = path.join(root, "runtime/generated/groups/notes.gen.ts");
    await writeFile(handWritten, "// Not generated: no header.\nexport const note = 1;\n");

    const check = await gen(root, true);
    const stale = "(its function group no longer exists)";
    expect(check).toMatchObject({ ok: false });
    expect(check.lines).toEqual([
      "runtime/generated/groups.gen.ts is out of date; run npm run gen",
      `runtime/generated/groups/gamma-ray.gen.ts is out of date; run npm run gen ${stale}`,
      "runtime/generated/registry.gen.ts is out of date; run npm run gen",
      "subscriptions/gamma-ray.task-reminders.yaml is out of date; run npm run gen (no topic handler generates it any more)",
    ]);
    expect(existsSync(path.join(root, "runtime/generated/groups/gamma-ray.gen.ts"))).toBe(true);

    const written = await gen(root, false);
    expect(written.lines).toContain(`deleted runtime/generated/groups/gamma-ray.gen.ts ${stale}`);
    expect(existsSync(path.join(root, "runtime/generated/groups/gamma-ray.gen.ts"))).toBe(false);
    expect(existsSync(handWritten)).toBe(true);
    for (const file of ["runtime/generated/registry.gen.ts", "runtime/generated/groups.gen.ts"]) {
      expect(await readFile(path.join(root, file), "utf8")).not.toContain("gamma");
    }
    expect((await gen(root, true)).ok).toBe(true);
  });

  it("reports job handlers without specs and specs without handlers, and writes nothing", async () => {
    const { root } = await project("functions-jobs-mismatch");
    for (const check of [true, false]) {
      const result = await gen(root, check);
      expect(result.ok).toBe(false);
      expect(result.changed).toEqual([]);
      expect(result.problems).toEqual([
        'functions/alpha/unscheduled.job.ts: job "unscheduled" has no spec; add jobs/unscheduled.json ' +
          "(its schedule, dueTime, failurePolicy, data)",
        'jobs/orphan.json: no job handler "orphan"; add functions/<group>/orphan.job.ts ' +
          '(export default defineJob({ name: "orphan", … })) or delete the spec',
      ]);
      expect(result.lines).toEqual([
        ...result.problems.map((problem) => `error: ${problem}`),
        "2 problems found; nothing was written",
      ]);
    }
    expect(existsSync(path.join(root, "runtime/generated"))).toBe(false);
  });

  it("reports job spec data that the handler's schema rejects, and writes nothing", async () => {
    const { root } = await project("functions-job-data");
    for (const check of [true, false]) {
      const result = await gen(root, check);
      expect(result).toMatchObject({ ok: false, changed: [] });
      expect(result.problems).toEqual([
        "jobs/sweep.json: data does not match the schema of functions/alpha/sweep.job.ts: " +
          "Invalid type: Expected Object but received undefined",
        "jobs/tick.json: data does not match the schema of functions/alpha/tick.job.ts: " +
          'batch: Invalid type: Expected number but received "ten"; size: Invalid value: Expected >=1 but received 0',
      ]);
    }
    expect(existsSync(path.join(root, "runtime/generated"))).toBe(false);

    await writeFile(
      path.join(root, "jobs/tick.json"),
      '{ "schedule": "@every 1m", "data": { "batch": 10, "size": 1 } }',
    );
    await writeFile(
      path.join(root, "jobs/sweep.json"),
      '{ "schedule": "@daily", "data": { "olderThanDays": 30 } }',
    );
    expect(await gen(root, false)).toMatchObject({ ok: true, problems: [] });
  });

  it("reports an invalid job spec with its path relative to the root", async () => {
    const { root } = await project("functions-jobs-mismatch");
    await writeFile(path.join(root, "jobs/unscheduled.json"), '{ "schedule": "*/5 * * * *" }');
    const result = await gen(root, true);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/^jobs\/unscheduled\.json: schedule: .*not a Dapr schedule/),
    ]);
  });

  it("reports unit problems without touching the outputs", async () => {
    const { root } = await project("functions-broken");
    const result = await gen(root, false);
    expect(result.ok).toBe(false);
    expect(result.problems.length).toBe(10);
    expect(result.lines.at(-1)).toBe("10 problems found; nothing was written");
    expect(existsSync(path.join(root, "runtime/generated"))).toBe(false);
  });

  it("reports a unit that fails to import, once", async () => {
    const { root } = await project("functions-basic");
    await writeFile(path.join(root, "functions/beta/crash.topic.ts"), 'throw new Error("no database");\n');
    const result = await gen(root, true);
    expect(result.problems).toEqual(["functions/beta/crash.topic.ts: failed to import: no database"]);
    expect(result.lines).toEqual([
      "error: functions/beta/crash.topic.ts: failed to import: no database",
      "1 problem found; nothing was written",
    ]);
  });

  it("keeps the committed runtime/generated/ and subscriptions/ of this repository up to date", async () => {
    const result = await gen(REPO_ROOT, true);
    expect(result.problems).toEqual([]);
    expect(result.lines).toEqual(["generated files are up to date"]);
    expect(result.ok).toBe(true);
  });
});
