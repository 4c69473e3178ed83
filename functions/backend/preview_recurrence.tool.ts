import * as v from "valibot";
import { checkTimeZone, endOfDay, parseDateInput, zonedIso } from "../_shared/domain/dates.js";
import { normalizeRule, previewOccurrences } from "../_shared/domain/recurrence.js";
import { defineTool } from "../_shared/tool.js";
import { DATE_RULE } from "./_task-fields.js";

const MAX_PREVIEW = 50;

/** "Fri, Mar 28, 2025, 09:00"; one formatter per zone, as formatDue keeps (building one costs ~0.3 ms). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function occurrenceFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export default defineTool({
  name: "preview_recurrence",
  description:
    "Check a recurrence rule before saving it on a task: returns the rule as it would be stored and its " +
    "next occurrences, computed in a time zone (a 09:00 task stays at 09:00 across daylight-saving " +
    'changes). Accepts an RRULE (FREQ=MONTHLY;BYDAY=-1FR) or English ("every weekday"). Changes nothing. ' +
    "Fails with INVALID_RECURRENCE_RULE, INVALID_DUE_DATE or INVALID_TIME_ZONE.",
  input: v.object({
    rule: v.pipe(v.string(), v.description("The rule to check, as you would give it to add_task.")),
    start: v.pipe(
      v.optional(v.string()),
      v.description(
        `The task's due date, the first possible occurrence (${DATE_RULE}); default: the end of today.`,
      ),
    ),
    time_zone: v.pipe(v.optional(v.string()), v.description("IANA zone to compute in; default yours.")),
    count: v.pipe(
      v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PREVIEW))),
      v.description(`How many occurrences, 1–${MAX_PREVIEW} (default 10).`),
    ),
  }),
  output: v.object({
    rule: v.pipe(v.string(), v.description("The normalised RRULE, as add_task would store it.")),
    time_zone: v.string(),
    occurrences: v.pipe(
      v.array(v.string()),
      v.description("ISO 8601 with the zone's offset; fewer than asked when the rule ends (COUNT, UNTIL)."),
    ),
  }),
  annotations: { title: "Preview recurrence", readOnlyHint: true, openWorldHint: false },
  handle: (input, ctx) => {
    const timeZone = input.time_zone === undefined ? ctx.user.timeZone : checkTimeZone(input.time_zone);
    const rule = normalizeRule(input.rule);
    const start =
      input.start === undefined
        ? endOfDay(new Date(), timeZone)
        : parseDateInput(input.start, { timeZone, field: "start" });
    const occurrences = previewOccurrences(rule, { start, timeZone, count: input.count ?? 10 });
    return { rule, time_zone: timeZone, occurrences: occurrences.map((date) => zonedIso(date, timeZone)) };
  },
  // Every date asked for, with its weekday, so the model (and the person) can check the rule means what they meant.
  summarize: ({ rule, time_zone, occurrences }) =>
    occurrences.length === 0
      ? `${rule} has no occurrences from that start.`
      : `${rule} in ${time_zone}, ${occurrences.length} date${occurrences.length === 1 ? "" : "s"}: ` +
        `${occurrences.map((iso) => occurrenceFormatter(time_zone).format(new Date(iso))).join("; ")}.`,
});
