/**
 * Standard Schema issues as text, one way everywhere: the log of a dropped event or a refused job, a tool's
 * VALIDATION_ERROR, the generator's job-data check. `tasks[2].title: message`; valibot's issue for a key a
 * strict object does not declare reads "unknown field"; long lists end in "and N more".
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";

type Issues = ReadonlyArray<StandardSchemaV1.Issue>;

/** ["tasks", 2, "title"] → "tasks[2].title"; "" for the root. */
export function issuePath(issue: StandardSchemaV1.Issue): string {
  let path = "";
  for (const segment of issue.path ?? []) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return path;
}

/** `path: message` per issue, at most `max` of them; `bound` shortens each (messages may quote megabytes). */
export function issueLines(
  issues: Issues,
  max: number,
  bound: (line: string) => string = (line) => line,
): string[] {
  const lines = issues.slice(0, max).map((issue) => {
    const at = issuePath(issue);
    const message = isUnknownField(issue) ? "unknown field, not taken here" : issue.message;
    return bound(at ? `${at}: ${message}` : message);
  });
  if (issues.length > max) lines.push(`and ${issues.length - max} more`);
  return lines;
}

/** The issues in one sentence-like string, for an answer a model reads. */
export function describeIssues(issues: Issues, max = 5): string {
  return issueLines(issues, max).join("; ");
}

/** Where the data failed, without what it held: safe to put in an answer. */
export function issuePaths(issues: Issues): string {
  return [...new Set(issues.map((issue) => issuePath(issue) || "(root)"))].join(", ");
}

/** valibot's issue for a key a v.strictObject does not declare ("Invalid key: Expected never …"). */
const isUnknownField = (issue: StandardSchemaV1.Issue) =>
  (issue as { type?: unknown }).type === "strict_object" &&
  (issue as { expected?: unknown }).expected === "never";
