import * as v from "valibot";
import { CallNotes, noteFields } from "../_shared/domain/call-notes.js";
import { listTasks, TASK_SORTS, TASK_STATUSES } from "../_shared/domain/tasks-query.js";
import { defineTool } from "../_shared/tool.js";
import { pageFields } from "./_page-fields.js";
import { DATE_RULE, TaskPageOutput } from "./_task-fields.js";

const optional = <T extends v.GenericSchema>(schema: T, description: string) =>
  v.pipe(v.optional(schema), v.description(description));

export default defineTool({
  name: "list_tasks",
  description:
    'List the person\'s tasks, filtered and sorted. Use it for questions like "what is due this week" ' +
    '(due_after + due_before), "my urgent tasks" (priority) or "everything tagged work" (tag_ids). ' +
    "For words in titles or descriptions use search_tasks. Results come in pages: when nextCursor is not " +
    "null, call again with the same filters and cursor for the next page.",
  input: v.object({
    status: optional(v.picklist(TASK_STATUSES), "all (default), pending (open) or completed."),
    priority: optional(v.string(), "Only this priority: low, medium, high or urgent."),
    category_id: optional(v.string(), "Only tasks in this category."),
    tag_ids: optional(v.array(v.string()), "Only tasks that carry every one of these tags."),
    due_before: optional(
      v.string(),
      `Only tasks due at or before this; a date alone (or "friday") includes that whole day. ${DATE_RULE}.`,
    ),
    due_after: optional(
      v.string(),
      'Only tasks due strictly after this; a date alone (or "today") includes that whole day. Same format as due_before.',
    ),
    sort_by: optional(
      v.picklist(TASK_SORTS),
      "created (default), due (tasks without a due date last) or priority (then soonest due).",
    ),
    order: optional(
      v.picklist(["asc", "desc"]),
      "asc or desc; default newest first for created, soonest first for due, most urgent first for priority.",
    ),
    ...pageFields("tasks"),
  }),
  output: v.object({ ...TaskPageOutput.entries, ...noteFields }),
  annotations: { title: "List tasks", readOnlyHint: true, openWorldHint: false },
  handle: async (input, ctx) => {
    const notes = new CallNotes();
    const { items, nextCursor } = await listTasks(ctx, input, notes);
    return { tasks: items, nextCursor, ...notes.output() };
  },
  summarize: ({ tasks, nextCursor }) =>
    tasks.length === 0
      ? "No tasks match."
      : `${tasks.length} task${tasks.length === 1 ? "" : "s"}: ${tasks.map((t) => `“${t.title}”`).join(", ")}` +
        `${nextCursor ? " (more on the next page)" : ""}.`,
});
