import type { Task } from "../_shared/domain/task-view.js";

/** One line for add_tag_to_task and remove_tag_from_task, true whether or not the call changed anything. */
export const tagsSummary = (task: Task): string =>
  task.tags.length === 0
    ? `Task “${task.title}” has no tags.`
    : `Task “${task.title}” is tagged ${task.tags.map((tag) => tag.name).join(", ")}.`;
