/**
 * `call` goes through the MCP server's call path (unknown arguments, validation, output check) and checks
 * a result against the JSON Schema `tools/list` advertises, not only its valibot schema.
 */
import type { Sql } from "postgres";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/_shared/domain/errors.js";
import { defineTool } from "../../runtime/define.js";
import { call, callResult, contextFor } from "./label-fixtures.js";

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

const echo = defineTool({
  name: "echo",
  description: "Repeats a text.",
  input: v.object({
    text: v.pipe(v.string(), v.description("What to repeat.")),
    loud: v.pipe(v.optional(v.boolean()), v.description("Shout it.")),
  }),
  output: v.object({ text: v.string() }),
  annotations: { readOnlyHint: true },
  handle: ({ text, loud }) => ({ text: loud ? text.toUpperCase() : text }),
  // Ends in its own full stop: the server must not add a second one.
  summarize: ({ text }) => `Echoed ${text}.`,
});

describe("call", () => {
  it("fails a result valibot accepts but the advertised outputSchema does not", async () => {
    await expect(call(counter(3), ctx, {})).rejects.toThrow(/advertised outputSchema.*count.*number/);
  });

  it("fails a result the valibot output refuses", async () => {
    await expect(call(counter(Number.NaN), ctx, {})).rejects.toThrow(/does not match its output schema/);
  });

  it("refuses an argument the tool does not take, as the MCP server does", async () => {
    const error = await call(echo, ctx, { text: "hi", txet: "typo" } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: "VALIDATION_ERROR", message: expect.stringContaining('"txet"') });
  });

  it("answers a summary line, then the structured content as JSON, with nulls read as not given", async () => {
    const result = await callResult(echo, ctx, { text: "hi", loud: null });
    expect(result.content).toEqual([
      { type: "text", text: "Echoed hi." },
      { type: "text", text: '{"text":"hi"}' },
    ]);
  });
});
