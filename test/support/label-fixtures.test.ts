/** `call` checks a tool's result against the JSON Schema `tools/list` advertises, not only its valibot schema. */
import type { Sql } from "postgres";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineTool } from "../../runtime/define.js";
import { call, contextFor } from "./label-fixtures.js";

const ctx = contextFor({} as Sql, {
  id: "00000000-0000-4000-8000-000000000000",
  email: "probe@example.com",
  displayName: null,
  timeZone: "UTC",
  defaultReminderMinutes: 60,
});

const counter = (count: number) =>
  defineTool({
    name: "count_things",
    description: "Counts things.",
    input: v.object({}),
    // The transform turns the number into a string after valibot's check; the JSON Schema still says number.
    output: v.object({ count: v.pipe(v.number(), v.transform(String), v.description("How many.")) }),
    annotations: { readOnlyHint: true },
    handle: () => ({ count }) as never,
    summarize: ({ count }) => `${count} things.`,
  });

describe("call", () => {
  it("fails a result valibot accepts but the advertised outputSchema does not", async () => {
    await expect(call(counter(3), ctx, {})).rejects.toThrow(/advertised outputSchema.*count.*number/);
  });

  it("fails a result the valibot output refuses", async () => {
    await expect(call(counter(Number.NaN), ctx, {})).rejects.toThrow(/valibot output/);
  });
});
