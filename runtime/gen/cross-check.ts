/**
 * The unit rules that span files. Each is a name that must be unique in what Dapr or an MCP client sees, so the
 * second file to claim it is the one reported, naming the first.
 */
import { FRAMEWORK_COMMANDS } from "../cli/framework-commands.js";
import type { ScannedUnit } from "./units.js";

/** One subscription per (pubsub, topic) per group; unique job, tool and Subscription names. */
export function crossCheckUnits(units: readonly ScannedUnit[]): string[] {
  const problems: string[] = [];
  const firstFile = new Map<string, string>();
  const claim = (key: string, file: string, message: (first: string) => string) => {
    const first = firstFile.get(key);
    if (first === undefined) firstFile.set(key, file);
    else problems.push(`${file}: ${message(first)}`);
  };
  for (const scanned of units) {
    if (scanned.kind === "subscription") {
      const { pubsub, topic } = scanned.unit;
      claim(
        `topic\0${scanned.group}\0${pubsub}\0${topic}`,
        scanned.file,
        (first) =>
          `group "${scanned.group}" already subscribes to topic "${topic}" on pubsub "${pubsub}" in ${first}; ` +
          "Dapr keeps one subscription per topic per app, so handle both cases in one file",
      );
      claim(
        `subscription-name\0${scanned.group}-${scanned.name}`,
        scanned.file,
        (first) =>
          `its Subscription name "${scanned.group}-${scanned.name}" is also the name of ${first}'s; rename one file`,
      );
    } else if (scanned.kind === "job") {
      claim(
        `job\0${scanned.name}`,
        scanned.file,
        (first) =>
          `job "${scanned.name}" is already defined in ${first}; job names must be unique across groups ` +
          "(jobs/<name>.json names one job, and the local all-groups app serves every job)",
      );
    } else if (scanned.kind === "setup") {
      if (scanned.unit.mcp !== undefined) {
        claim(
          "mcp",
          scanned.file,
          (first) => `${first} already sets up MCP (authentication and tool context); keep one mcp setup`,
        );
      }
      for (const command of Object.keys(scanned.unit.commands ?? {})) {
        if (FRAMEWORK_COMMANDS.includes(command)) {
          problems.push(
            `${scanned.file}: command "${command}" is one of taskbeat's own; choose another name`,
          );
        }
        claim(
          `command\0${command}`,
          scanned.file,
          (first) => `command "${command}" is already defined in ${first}`,
        );
      }
    } else {
      claim(
        `tool\0${scanned.name}`,
        scanned.file,
        (first) => `tool "${scanned.name}" is already defined in ${first}; tool names must be unique`,
      );
    }
  }
  return problems;
}
