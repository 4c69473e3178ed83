import * as v from "valibot";
import { defineTool } from "../../runtime/define.js";
import type { ToolContext } from "../_shared/domain/context.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { addTasks, MAX_BATCH } from "../_shared/domain/tasks.js";
import { taskFields, titleField } from "./_task-fields.js";

const Failure = v.object({
  index: v.pipe(v.number(), v.description("Position of the failed item in the request, from 0.")),
  code: v.pipe(v.string(), v.description("Stable error code, e.g. INVALID_DUE_DATE.")),
  message: v.pipe(v.string(), v.description("What was wrong with that item.")),
});

export default defineTool({
  name: "add_tasks",
  description:
    `Create up to ${MAX_BATCH} tasks in one call, e.g. from a list the person dictates. Each item takes ` +
    "the same fields as add_task. Items are independent: a bad item is skipped and reported in failures " +
    "(with its index, code and message) while the others are created. Returns the created tasks in " +
    "request order.",
  input: v.object({
    tasks: v.pipe(
      v.array(v.strictObject({ title: titleField(), ...taskFields(false) })),
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
  }),
  annotations: { title: "Add tasks", readOnlyHint: false, destructiveHint: false, openWorldHint: false },
  handle: (input, ctx: ToolContext) => addTasks(ctx, input.tasks),
  summarize: ({ tasks, failures }) =>
    `Created ${tasks.length} task${tasks.length === 1 ? "" : "s"}` +
    (failures.length === 0
      ? "."
      : `; ${failures.length} failed (${failures.map((f) => `#${f.index} ${f.code}`).join(", ")}).`),
});
