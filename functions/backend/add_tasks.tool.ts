import type { StandardSchemaV1 } from "@standard-schema/spec";
import * as v from "valibot";
import { describeIssues } from "../../runtime/issues.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { addTasks, type BatchFailure, MAX_BATCH, type NewTask } from "../_shared/domain/tasks.js";
import { defineTool } from "../_shared/tool.js";
import { requestIdField, taskFields, titleField } from "./_task-fields.js";

const Failure = v.object({
  index: v.pipe(v.number(), v.description("Position of the failed item in the request, from 0.")),
  code: v.pipe(v.string(), v.description("Stable error code, e.g. INVALID_DUE_DATE.")),
  message: v.pipe(v.string(), v.description("What was wrong with that item.")),
});

/** An item its schema refused: kept in its place, so the others are still created. */
class RefusedItem {
  constructor(readonly message: string) {}
}

/**
 * Each item is checked on its own: one with an unknown field, a wrong type or a bad value becomes a
 * RefusedItem (v.fallback keeps the strict object's JSON Schema, so the listing is unchanged) instead of
 * failing the whole call.
 */
const ItemSchema = v.strictObject({
  title: titleField(),
  ...taskFields(false),
  request_id: requestIdField(),
});
const Item = v.fallback(
  ItemSchema,
  (dataset) =>
    new RefusedItem(
      describeIssues((dataset?.issues ?? []) as readonly StandardSchemaV1.Issue[]),
    ) as unknown as v.InferOutput<typeof ItemSchema>,
);

export default defineTool({
  name: "add_tasks",
  description:
    `Create up to ${MAX_BATCH} tasks in one call, e.g. from a list the person dictates. Each item takes ` +
    "the same fields as add_task. Items are independent: a bad item (an unknown field, a wrong type or a " +
    "bad value) is skipped and reported in failures (with its index, code and message) while the others " +
    "are created. Returns the created tasks in request order. Give each item a request_id to make a retried " +
    "call safe: an item whose request_id was used before returns that earlier task (listed in replayed).",
  input: v.object({
    tasks: v.pipe(
      v.array(Item),
      v.minLength(1),
      v.maxLength(MAX_BATCH),
      v.description(`The tasks to create, 1–${MAX_BATCH}.`),
    ),
  }),
  output: v.object({
    tasks: v.array(TaskSchema),
    failures: v.pipe(
      v.array(Failure),
      v.description("The items that were not created; empty when all were."),
    ),
    replayed: v.pipe(
      v.array(v.number()),
      v.description(
        "Positions (from 0) of items whose request_id an earlier call used: their task is that call's, " +
          "unchanged, and nothing new was created for them. Empty when none.",
      ),
    ),
  }),
  annotations: { title: "Add tasks", readOnlyHint: false, destructiveHint: false, openWorldHint: false },
  handle: async (input, ctx) => {
    const refused: BatchFailure[] = [];
    const items: NewTask[] = [];
    const positions: number[] = [];
    for (const [index, item] of input.tasks.entries()) {
      if (item instanceof RefusedItem)
        refused.push({ index, code: "VALIDATION_ERROR", message: item.message });
      else {
        items.push(item);
        positions.push(index);
      }
    }
    const created = items.length > 0 ? await addTasks(ctx, items) : { tasks: [], failures: [], replayed: [] };
    const failures = [
      ...refused,
      ...created.failures.map((failure) => ({
        ...failure,
        index: positions[failure.index] ?? failure.index,
      })),
    ].sort((a, b) => a.index - b.index);
    const replayed = created.replayed.map((index) => positions[index] ?? index);
    return { tasks: created.tasks, failures, replayed };
  },
  summarize: ({ tasks, failures, replayed }) =>
    `Created ${tasks.length - replayed.length} task${tasks.length - replayed.length === 1 ? "" : "s"}` +
    (replayed.length === 0
      ? ""
      : ` (and returned ${replayed.length} that an earlier call created with the same request_id)`) +
    (failures.length === 0
      ? "."
      : `; ${failures.length} failed: ${failures.map((f) => `#${f.index} ${f.code} (${f.message.replace(/\.$/, "")})`).join("; ")}.`),
});
