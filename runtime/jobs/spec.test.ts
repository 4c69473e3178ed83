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
      `${f("policy.json")}: failurePolicy.constant.interval: must be a duration in seconds such as "3s" or "0.5s"`,
      `${f("ttl-alone.json")}: ttl needs a schedule`,
    ]);
    expect((await loadJobSpecs(dir).catch((e: Error) => e)).toString()).toContain("invalid job specs:\n  - ");
  });

  it("takes dueTime and ttl as RFC 3339, Go or ISO 8601 durations, as the scheduler engine does", async () => {
    const times = [
      "2030-01-01T00:00:00Z",
      "2030-01-01T09:00:00.5+02:00",
      "0s",
      "-5s",
      "1h30m",
      "PT30S",
      "P1D",
    ];
    await write(
      Object.fromEntries(times.map((t, i) => [`ok-${i}.json`, { schedule: "@daily", dueTime: t, ttl: t }])),
    );
    expect((await loadJobSpecs(dir)).size).toBe(times.length);
  });

  it.each([
    "2030-02-30T00:00:00Z",
    "2030-01-01T24:00:00Z",
    "2030-01-01T00:00:00",
    "R2/PT1H",
    "P1H",
    "5",
    "1d",
  ])("rejects the dueTime and ttl %j", async (time) => {
    await write({ "bad-time.json": { schedule: "@daily", dueTime: time, ttl: time } });
    const message = 'must be an RFC 3339 time, a Go duration ("30s", "1h") or an ISO 8601 duration ("PT30S")';
    const file = join(dir, "bad-time.json");
    expect(await problems()).toEqual([`${file}: dueTime: ${message}`, `${file}: ttl: ${message}`]);
  });

  // daprd decodes the interval as a protojson google.protobuf.Duration: seconds only, not "1m" or "500ms".
  it.each([
    ["3s", true],
    ["0.5s", true],
    ["0s", true],
    ["1m", false],
    ["500ms", false],
    ["-1s", false],
    ["3", false],
  ])("takes the retry interval %j: %s", async (interval, ok) => {
    await write({ "retry.json": { schedule: "@daily", failurePolicy: { constant: { interval } } } });
    if (ok) {
      expect((await loadJobSpecs(dir)).get("retry")).toEqual({
        schedule: "@daily",
        failurePolicy: { constant: { interval } },
      });
    } else {
      expect(await problems()).toEqual([
        `${join(dir, "retry.json")}: failurePolicy.constant.interval: must be a duration in seconds such as "3s" or "0.5s"`,
      ]);
    }
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
    "0 0 12 * mar,jun mon",
    "50/5 * * ? * *",
    "@every 500ms",
  ])("accepts %s", (schedule) => {
    expect(isDaprSchedule(schedule)).toBe(true);
  });

  it.each([
    "*/5 * * * *",
    "@every five",
    "@every",
    "@every 5",
    "@often",
    "",
    "0 0 0 0 0 0 0",
    // Six fields, but not valid ones: the scheduler refuses these too.
    "60 * * * * *",
    "0 0 0 0 * *",
    "0 0 0 * * 7",
    "*/0 * * * * *",
    "0 0 9 * * MON-FRX",
    "TZ=Mars/Olympus 0 0 9 * * *",
    "TZ=UTC",
  ])("rejects %s", (schedule) => {
    expect(isDaprSchedule(schedule)).toBe(false);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
