/** The paging fields every listing tool takes, so their limits, default and wording cannot drift apart. */
import * as v from "valibot";

export const pageFields = (items: string) => ({
  limit: v.pipe(
    v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100, "At most 100 per page.")), 50),
    v.description(`How many ${items} to return, 1–100 (default 50).`),
  ),
  cursor: v.pipe(
    v.optional(v.string()),
    v.description(
      "The nextCursor of the previous page, to get the next one, with the same other arguments; omit for " +
        "the first page.",
    ),
  ),
});
