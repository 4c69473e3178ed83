import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDaprSchedule, JobSpecError, loadJobSpecs } from "./spec.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "taskbeat-jobs-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, unknown>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
}

async function problems(): Promise<string[]> {
  const error = await loadJobSpecs(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobSpecError);
  return (error as JobSpecError).problems;
}

describe("loadJobSpecs", () => {
  it("loads every *.json in sorted order, named by file, ignoring other entries", async () => {
    await write({
      "relay-outbox.json": { schedule: "@every 5s", failurePolicy: { drop: {} } },
      "check-due-tasks.json": { schedule: "@every 5s", dueTime: "0s", data: {} },
      "a1.json": { dueTime: "2030-01-01T00:00:00Z", repeats: 1 },
      "README.md": "# not a spec",
    });
    await mkdir(join(dir, "nested.json"));
    const specs = await loadJobSpecs(dir);
    expect([...specs.keys()]).toEqual(["a1", "check-due-tasks", "relay-outbox"]);
    expect(specs.get("check-due-tasks")).toEqual({ schedule: "@every 5s", dueTime: "0s", data: {} });
    expect(specs.get("relay-outbox")).toEqual({ schedule: "@every 5s", failurePolicy: { drop: {} } });
  });

  it("returns no specs for a missing directory", async () => {
    expect((await loadJobSpecs(join(dir, "absent"))).size).toBe(0);
  });

  it("reports every problem of every file at once, naming the file", async () => {
    await write({
      "Bad_Name.json": { schedule: "@daily" },
      "broken.json": "{ schedule: ",
      "five-fields.json": { schedule: "*/5 * * * *" },
      "extra-keys.json": { name: "extra-keys", schedule: "@daily", overwrite: true },
      "forever.json": { schedule: "@every 5s", repeats: -1 },
      "no-time.json": { data: { a: 1 } },
      "policy.json": { schedule: "@daily", failurePolicy: { constant: { interval: "soon" } } },
      "ttl-alone.json": { dueTime: "10s", ttl: "1h" },
      "array.json": [],
    });
    const f = (name: string) => join(dir, name);
    const allowed = "allowed: schedule, dueTime, repeats, ttl, data, failurePolicy";
    expect(await problems()).toEqual([
      `${f("Bad_Name.json")}: job name "Bad_Name" must be kebab-case (a-z, 0-9 and single dashes)`,
      `${f("array.json")}: must be a JSON object`,
      expect.stringMatching(new RegExp(`^${escapeRegExp(f("broken.json"))}: not valid JSON \\(.+\\)$`)),
      `${f("extra-keys.json")}: unknown key "name" (the job name is the file name); ${allowed}`,
      `${f("extra-keys.json")}: unknown key "overwrite" (registration always overwrites); ${allowed}`,
      `${f("five-fields.json")}: schedule: "*/5 * * * *" is not a Dapr schedule: use 6 cron fields with seconds ` +
        '("0 */5 * * * *"), "@every 5m" or a descriptor such as "@daily"',
      `${f("forever.json")}: repeats: must be ≥ 1 (omit it to repeat forever)`,
      `${f("no-time.json")}: needs a schedule or a dueTime`,
      `${f("policy.json")}: failurePolicy.constant.interval: must be a Go duration such as "3s"`,
      `${f("ttl-alone.json")}: ttl needs a schedule`,
    ]);
    expect((await loadJobSpecs(dir).catch((e: Error) => e)).toString()).toContain("invalid job specs:\n  - ");
  });
});

describe("isDaprSchedule", () => {
  it.each([
    "@every 5s",
    "@every 1h30m",
    "@daily",
    "@hourly",
    "0 30 * * * *",
    "*/10 * * * * *",
    "TZ=Europe/Berlin 0 0 9 * * MON-FRI",
    "CRON_TZ=UTC @daily",
  ])("accepts %s", (schedule) => {
    expect(isDaprSchedule(schedule)).toBe(true);
  });

  it.each(["*/5 * * * *", "@every five", "@every", "@often", "", "0 0 0 0 0 0 0"])(
    "rejects %s",
    (schedule) => {
      expect(isDaprSchedule(schedule)).toBe(false);
    },
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
