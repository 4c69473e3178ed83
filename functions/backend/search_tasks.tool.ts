import * as v from "valibot";
import { CallNotes, noteFields } from "../_shared/domain/call-notes.js";
import { TASK_STATUSES } from "../_shared/domain/tasks-query.js";
import { MAX_QUERY, searchTasks } from "../_shared/domain/tasks-search.js";
import { defineTool } from "../_shared/tool.js";
import { pageFields } from "./_page-fields.js";
import { TaskPageOutput } from "./_task-fields.js";

export default defineTool({
  name: "search_tasks",
  description:
    "Find tasks by words in their title or description, best matches first (a title match ranks above a " +
    'description match). English stemming applies ("call" finds "calling"); "quoted phrases", OR and ' +
    "-word work as in a web search. Accents and punctuation do not matter (zoe finds Zoë, dry-cleaning " +
    '"dry cleaning"), and when no task has the words, tasks with similarly spelt ones are returned, with a ' +
    "warning saying so. Results come in pages: when nextCursor is not null, call again with " +
    "the same query and cursor. An empty query is a VALIDATION_ERROR.",
  input: v.object({
    query: v.pipe(v.string(), v.description(`The words to look for, up to ${MAX_QUERY} characters.`)),
    status: v.pipe(
      v.optional(v.picklist(TASK_STATUSES)),
      v.description("all (default), pending (open) or completed."),
    ),
    ...pageFields("tasks"),
  }),
  output: v.object({ ...TaskPageOutput.entries, ...noteFields }),
  annotations: { title: "Search tasks", readOnlyHint: true, openWorldHint: false },
  handle: async (input, ctx) => {
    const notes = new CallNotes();
    const { items, nextCursor } = await searchTasks(ctx, input, notes);
    return { tasks: items, nextCursor, ...notes.output() };
  },
  summarize: ({ tasks, nextCursor }) =>
    tasks.length === 0
      ? "No tasks match that search."
      : `${tasks.length} match${tasks.length === 1 ? "" : "es"}, best first: ` +
        `${tasks.map((t) => `“${t.title}”`).join(", ")}${nextCursor ? " (more on the next page)" : ""}.`,
});
