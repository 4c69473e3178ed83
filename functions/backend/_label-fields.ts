/**
 * Input fields the category and tag tools share, so their limits and wording cannot drift apart. The
 * domain checks the same rules again (trimmed names, upper-cased colours): these give clients the limits
 * as JSON Schema, the domain keeps every other caller honest.
 */
import * as v from "valibot";
import { COLOR_PATTERN, COLOR_RULE } from "../_shared/domain/labels.js";

export const idField = (kind: "category" | "tag") =>
  v.pipe(v.string(), v.description(`The ${kind}'s id, as returned when it was created or listed.`));

export const nameField = (kind: "category" | "tag", max: number) =>
  v.pipe(
    v.string(),
    v.minLength(1, `A ${kind} name cannot be empty.`),
    v.maxLength(max, `A ${kind} name can be at most ${max} characters.`),
    v.description(`The ${kind}'s name, 1–${max} characters; unique among your ${kind} names, ignoring case.`),
  );

/** On create, omitted means no colour; on update, omitted keeps it and `clear: ["color"]` removes it. */
export const colorField = (on: "create" | "update") =>
  v.pipe(
    v.optional(v.pipe(v.string(), v.regex(COLOR_PATTERN, `${COLOR_RULE}.`))),
    v.description(
      on === "create"
        ? "A colour as #RRGGBB (e.g. #1E90FF); omit for none."
        : 'A new colour as #RRGGBB (e.g. #1E90FF); omit to keep it; clear: ["color"] removes it.',
    ),
  );
