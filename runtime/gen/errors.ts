/**
 * What the generator reports when `functions/` or `jobs/` break a convention: every problem at once, each
 * naming the file and the rule, so one run of `npm run gen` lists everything to fix.
 */
export class GeneratorError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? (problems[0] ?? "")
        : `${problems.length} problems:\n- ${problems.join("\n- ")}`,
    );
    this.name = "GeneratorError";
    this.problems = problems;
  }
}
