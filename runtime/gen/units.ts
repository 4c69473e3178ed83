/**
 * What the generator's steps pass between them: a unit file as imported (`LoadedModule`), the unit it turned
 * out to be (`ScannedUnit`), and the one ordering every step uses, so the output is the same on every machine.
 */
import type { JobDefinition, SubscriptionDefinition, ToolDefinition } from "../define.js";

/** The suffix of a unit file: `<name>.<kind>.ts`. */
export type UnitFileKind = "topic" | "job" | "tool";

/** Matches a unit file name and captures its kind. */
export const UNIT_FILE = /\.(topic|job|tool)\.ts$/;

interface ScannedBase {
  /** The function group: the folder under `functions/`, a Dapr app-id. */
  group: string;
  /** The file name without `.<kind>.ts`. */
  name: string;
  /** The file's path from the project root, with `/` separators: `functions/<group>/<name>.<kind>.ts`. */
  file: string;
}

export type ScannedUnit =
  | (ScannedBase & { kind: "subscription"; route: string; unit: SubscriptionDefinition })
  | (ScannedBase & { kind: "job"; unit: JobDefinition })
  | (ScannedBase & { kind: "tool"; unit: ToolDefinition });

/** A unit file and what importing it produced. */
export interface LoadedModule {
  /** Path relative to `functions/`, `/`-separated: `<group>/<name>.<kind>.ts`. */
  path: string;
  /** The module namespace object (its `default` export is the unit). */
  module: unknown;
}

/** Code-point order, independent of locale (unlike `localeCompare`). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
