/**
 * What the generator's steps pass between them: a unit file as imported (`LoadedModule`), the unit it turned
 * out to be (`ScannedUnit`), a file it writes (`GeneratedFile`), and the one ordering every step uses, so the
 * output is the same on every machine.
 */
import type { JobDefinition, SetupDefinition, SubscriptionDefinition, ToolDefinition } from "../define.js";

/** The suffix of a unit file: `<name>.<kind>.ts`. */
export type UnitFileKind = "topic" | "job" | "tool" | "setup";

/** Matches a unit file name and captures its kind. */
export const UNIT_FILE = /\.(topic|job|tool|setup)\.ts$/;

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
  | (ScannedBase & { kind: "tool"; unit: ToolDefinition })
  | (ScannedBase & { kind: "setup"; unit: SetupDefinition });

export type UnitOfKind<K extends ScannedUnit["kind"]> = Extract<ScannedUnit, { kind: K }>;

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

/** The function groups that have units, in code-point order. */
export function groupsOf(units: readonly ScannedUnit[]): string[] {
  return [...new Set(units.map((u) => u.group))].sort(byCodePoint);
}

/** One group's units of one kind, in code-point order of their name. */
export function unitsOf<K extends ScannedUnit["kind"]>(
  units: readonly ScannedUnit[],
  group: string,
  kind: K,
): UnitOfKind<K>[] {
  return units
    .filter((u): u is UnitOfKind<K> => u.group === group && u.kind === kind)
    .sort((a, b) => byCodePoint(a.name, b.name));
}

/** A file the generator writes. */
export interface GeneratedFile {
  /** Relative to the project root, `/`-separated. */
  path: string;
  content: string;
}
