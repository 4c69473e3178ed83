import path from "node:path";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { fixturePath } from "../../test/support/fixture-project.js";
import { problemsOf } from "../../test/support/generator-problems.js";
import { defineJob, defineSubscription, defineTool } from "../define.js";
import { GeneratorError } from "./errors.js";
import { findUnitFiles, type LoadedModule, scanFunctions, validateUnits } from "./scan.js";

const schema = v.object({ id: v.string() });
const topic = (overrides: Partial<Parameters<typeof defineSubscription>[0]> = {}) =>
  defineSubscription({ pubsub: "pubsub", topic: "task-events", schema, handle() {}, ...overrides });
const job = (name: string) => defineJob({ name, handle() {} });
const tool = (name: string, description = "Does a thing.") =>
  defineTool({
    name,
    description,
    input: schema,
    output: schema,
    annotations: { readOnlyHint: true },
    handle: () => ({ id: "x" }),
    summarize: () => "Did it.",
  });
const mod = (file: string, unit: unknown): LoadedModule => ({ path: file, module: { default: unit } });

describe("findUnitFiles", () => {
  it("lists unit files in code-point order, skipping _-prefixed entries and other files", async () => {
    expect(await findUnitFiles(path.join(fixturePath("functions-basic"), "functions"))).toEqual([
      "alpha/reminder-due.topic.ts",
      "alpha/sweep.job.ts",
      "beta/get_task.tool.ts",
      "beta/task-recurrence.topic.ts",
      "gamma-ray/task-reminders.topic.ts",
    ]);
  });

  it("treats a missing functions/ as empty", async () => {
    expect(await findUnitFiles(path.join(fixturePath("functions-basic"), "no-such-dir"))).toEqual([]);
  });
});

describe("scanFunctions", () => {
  it("imports and classifies every unit of the basic fixture", async () => {
    const units = await scanFunctions(path.join(fixturePath("functions-basic"), "functions"));
    expect(units.map(({ kind, group, name, file }) => ({ kind, group, name, file }))).toEqual([
      {
        kind: "subscription",
        group: "alpha",
        name: "reminder-due",
        file: "functions/alpha/reminder-due.topic.ts",
      },
      { kind: "job", group: "alpha", name: "sweep", file: "functions/alpha/sweep.job.ts" },
      { kind: "tool", group: "beta", name: "get_task", file: "functions/beta/get_task.tool.ts" },
      {
        kind: "subscription",
        group: "beta",
        name: "task-recurrence",
        file: "functions/beta/task-recurrence.topic.ts",
      },
      {
        kind: "subscription",
        group: "gamma-ray",
        name: "task-reminders",
        file: "functions/gamma-ray/task-reminders.topic.ts",
      },
    ]);
    const reminder = units[0];
    expect(reminder?.kind === "subscription" && reminder.route).toBe("/events/alpha/reminder-due");
    expect(reminder?.kind === "subscription" && reminder.unit.bulk).toEqual({
      maxMessages: 50,
      maxAwaitMs: 500,
    });
  });

  it("reports every broken file of the broken fixture at once, each naming the file and the rule", async () => {
    const error = await scanFunctions(path.join(fixturePath("functions-broken"), "functions")).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(GeneratorError);
    expect((error as GeneratorError).problems).toEqual([
      "functions/alpha/explodes.topic.ts: failed to import: boom at import time",
      expect.stringMatching(
        /^functions\/Bad_Group\/fine\.topic\.ts: group folder "Bad_Group" must be kebab-case/,
      ),
      expect.stringMatching(
        /^functions\/alpha\/Bad_Name\.topic\.ts: topic name "Bad_Name" must be kebab-case/,
      ),
      expect.stringMatching(/^functions\/alpha\/get-task\.tool\.ts: tool name "get-task" must be snake_case/),
      expect.stringMatching(
        /^functions\/alpha\/nested\/deep\.topic\.ts: unit files must sit directly in a group/,
      ),
      expect.stringMatching(
        /^functions\/alpha\/no-default\.topic\.ts: has no default export; export default defineSub/,
      ),
      'functions/alpha/oops.topic.ts: default export is a job (defineJob) but the ".topic.ts" suffix needs a ' +
        "subscription (defineSubscription); rename the file or change the helper",
      'functions/alpha/tick.job.ts: job name "tock" must equal the file name "tick"',
      expect.stringMatching(/^functions\/loose\.topic\.ts: unit files must sit directly in a group folder/),
      expect.stringMatching(
        /^functions\/alpha\/second\.topic\.ts: group "alpha" already subscribes to topic "task-events" on pubsub "pubsub" in functions\/alpha\/first\.topic\.ts/,
      ),
    ]);
  });
});

describe("validateUnits", () => {
  it("returns units sorted by code-point path order, whatever the input order", () => {
    const units = validateUnits([
      mod("alpha/b.topic.ts", topic({ topic: "b" })),
      mod("alpha-b/a.topic.ts", topic({ topic: "a" })),
      mod("alpha/a.topic.ts", topic({ topic: "a" })),
    ]);
    // "-" (U+002D) sorts before "/" (U+002F): alpha-b/ comes first although "alpha" is a prefix of "alpha-b".
    // (Upper case before lower case, unlike localeCompare, is covered by the broken fixture's "Bad_Group".)
    expect(units.map((u) => u.file)).toEqual([
      "functions/alpha-b/a.topic.ts",
      "functions/alpha/a.topic.ts",
      "functions/alpha/b.topic.ts",
    ]);
  });

  it("accepts the same topic on two pubsubs in one group, and in two groups", () => {
    expect(
      problemsOf([
        mod("alpha/one.topic.ts", topic()),
        mod("alpha/two.topic.ts", topic({ pubsub: "other" })),
        mod("beta/one.topic.ts", topic()),
      ]),
    ).toEqual([]);
  });

  it("rejects a job name used in two groups", () => {
    expect(
      problemsOf([mod("alpha/sweep.job.ts", job("sweep")), mod("beta/sweep.job.ts", job("sweep"))]),
    ).toEqual([
      expect.stringMatching(
        /^functions\/beta\/sweep\.job\.ts: job "sweep" is already defined in functions\/alpha\/sweep\.job\.ts; job names must be unique across groups/,
      ),
    ]);
  });

  it("rejects a tool name used in two groups", () => {
    expect(
      problemsOf([mod("alpha/get_it.tool.ts", tool("get_it")), mod("beta/get_it.tool.ts", tool("get_it"))]),
    ).toEqual([
      expect.stringMatching(
        /^functions\/beta\/get_it\.tool\.ts: tool "get_it" is already defined in functions\/alpha/,
      ),
    ]);
  });

  it("rejects two topic handlers whose Subscription names (<group>-<name>) collide", () => {
    expect(
      problemsOf([
        mod("a/b-c.topic.ts", topic({ topic: "x" })),
        mod("a-b/c.topic.ts", topic({ topic: "y" })),
      ]),
    ).toEqual([
      expect.stringMatching(
        /^functions\/a\/b-c\.topic\.ts: its Subscription name "a-b-c" is also the name of functions\/a-b/,
      ),
    ]);
  });

  it("checks names: kebab-case topics and jobs, snake_case tools of at most 64 characters", () => {
    expect(
      problemsOf([
        mod("alpha/reminderDue.topic.ts", topic()),
        mod("alpha/sweep_all.job.ts", job("sweep_all")),
        mod("alpha/getTask.tool.ts", tool("getTask")),
        mod(`alpha/${"x".repeat(65)}.tool.ts`, tool("x".repeat(65))),
        mod("1alpha/ok.topic.ts", topic()),
      ]),
    ).toEqual([
      expect.stringMatching(
        /^functions\/1alpha\/ok\.topic\.ts: group folder "1alpha" must be kebab-case starting with a letter/,
      ),
      expect.stringMatching(/^functions\/alpha\/getTask\.tool\.ts: tool name "getTask" must be snake_case/),
      expect.stringMatching(
        /^functions\/alpha\/reminderDue\.topic\.ts: topic name "reminderDue" must be kebab-case/,
      ),
      expect.stringMatching(/^functions\/alpha\/sweep_all\.job\.ts: job name "sweep_all" must be kebab-case/),
      expect.stringMatching(
        /^functions\/alpha\/x{65}\.tool\.ts: tool name "x{65}" is longer than 64 characters/,
      ),
    ]);
  });

  it("checks each kind's fields", () => {
    expect(
      problemsOf([
        mod("alpha/dlq-loop.topic.ts", topic({ topic: "loop", deadLetterTopic: "loop" })),
        mod("alpha/bulk.topic.ts", topic({ topic: "bulk", bulk: { maxMessages: 0, maxAwaitMs: 1.5 } })),
        mod("alpha/no-schema.topic.ts", topic({ topic: "s", schema: {} as typeof schema, pubsub: "" })),
        mod("alpha/mute.tool.ts", tool("mute", " ")),
        mod("alpha/not-a-unit.job.ts", { name: "not-a-unit" }),
        { path: "alpha/null.job.ts", module: null },
      ]),
    ).toEqual([
      expect.stringMatching(
        /^functions\/alpha\/bulk\.topic\.ts: bulk\.maxMessages must be an integer from 1 to/,
      ),
      expect.stringMatching(
        /^functions\/alpha\/bulk\.topic\.ts: bulk\.maxAwaitMs must be an integer from 0 to .* \(got 1\.5\)/,
      ),
      'functions/alpha/dlq-loop.topic.ts: deadLetterTopic "loop" must differ from the topic, or dropped messages would be redelivered',
      expect.stringMatching(/^functions\/alpha\/mute\.tool\.ts: description must be a non-empty string/),
      expect.stringMatching(/^functions\/alpha\/no-schema\.topic\.ts: pubsub must be a non-empty string/),
      expect.stringMatching(/^functions\/alpha\/no-schema\.topic\.ts: schema must be a Standard Schema/),
      expect.stringMatching(
        /^functions\/alpha\/not-a-unit\.job\.ts: default export is not a unit; export default defineJob/,
      ),
      expect.stringMatching(
        /^functions\/alpha\/null\.job\.ts: has no default export; export default defineJob/,
      ),
    ]);
  });

  it("throws one GeneratorError whose message lists every problem", () => {
    expect(() =>
      validateUnits([mod("alpha/a.job.ts", job("b")), mod("alpha/c.tool.ts", job("c"))]),
    ).toThrowError(/2 problems:\n- functions\/alpha\/a\.job\.ts: .*\n- functions\/alpha\/c\.tool\.ts: /);
  });
});
