/**
 * Scanned units made in memory, for generator tests that need groups the fixtures do not have (names that clash
 * when camel-cased, names long enough to make biome break a line) without writing unit files.
 */
import * as v from "valibot";
import { defineSubscription } from "../../runtime/define.js";
import { type ScannedUnit, validateUnits } from "../../runtime/gen/scan.js";

/** A topic handler per `{ group, name }`: `functions/<group>/<name>.topic.ts`, its topic named like the file. */
export function topicUnits(files: readonly { group: string; name: string }[]): ScannedUnit[] {
  return validateUnits(
    files.map(({ group, name }) => ({
      path: `${group}/${name}.topic.ts`,
      module: { default: defineSubscription({ pubsub: "p", topic: name, schema: v.unknown(), handle() {} }) },
    })),
  );
}

/** One topic handler, `functions/<group>/<name>.topic.ts`, in each of `groups`. */
export function topicsInGroups(groups: readonly string[], name = "ping"): ScannedUnit[] {
  return topicUnits(groups.map((group) => ({ group, name })));
}

/**
 * Names (group or topic) of every length from 1 to `longest`, with and without a `-` (a quoted key, a camel-cased
 * identifier).
 */
export function namesUpTo(longest: number): string[] {
  const names: string[] = [];
  for (let length = 1; length <= longest; length++) {
    names.push("g".repeat(length));
    if (length >= 3) names.push(`${"g".repeat(length - 2)}-h`);
  }
  return names;
}
