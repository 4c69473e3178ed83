/**
 * The shapes of the generated registry: for each function group (a folder in `functions/`, one Deployment, one
 * Dapr app-id), the units it serves. `runtime/generated/registry.gen.ts` holds every group, loaded up front
 * (`taskbeat start`); `runtime/generated/groups.gen.ts` loads one group by name (`taskbeat serve --group`).
 */
import type { Command } from "./cli/command.js";
import type { JobDefinition, SetupDefinition, SubscriptionDefinition, ToolDefinition } from "./define.js";

export interface RegisteredSubscription {
  /** Unit name = file name without its suffix. */
  name: string;
  /** The POST route daprd delivers to, derived from the file path. */
  route: string;
  unit: SubscriptionDefinition;
}

export interface RegisteredJob {
  name: string;
  unit: JobDefinition;
}

export interface RegisteredTool {
  name: string;
  unit: ToolDefinition;
}

export interface RegisteredSetup {
  name: string;
  unit: SetupDefinition;
}

export interface GroupRegistry {
  subscriptions: readonly RegisteredSubscription[];
  jobs: readonly RegisteredJob[];
  tools: readonly RegisteredTool[];
  /** Absent when the group has no `<name>.setup.ts`. */
  setups?: readonly RegisteredSetup[];
}

/** A command a group's setup adds to the CLI: its summary is known without loading the group. */
export interface CommandEntry {
  summary: string;
  load(): Promise<Command | undefined>;
}

export type CommandLoaders = Readonly<Record<string, CommandEntry>>;

/** The setups of the groups a process serves, in group order. */
export function setupsOf(registry: Registry, groups: readonly string[]): SetupDefinition[] {
  return groups.flatMap((group) => registry[group]?.setups?.map((setup) => setup.unit) ?? []);
}

export type Registry = Readonly<Record<string, GroupRegistry>>;

/** Imports one group's module (its units and the packages they use) when called. */
export type GroupLoader = () => Promise<GroupRegistry>;

/** Every group's loader, by group name; importing them imports no unit. */
export type GroupLoaders = Readonly<Record<string, GroupLoader>>;

/** The loader of `group`, if there is such a group: own keys only, so `toString` is not mistaken for one. */
export function findGroupLoader(loaders: GroupLoaders, group: string): GroupLoader | undefined {
  return Object.hasOwn(loaders, group) ? loaders[group] : undefined;
}

/** The stable route of a topic handler: `functions/email/reminder-due.topic.ts` → `/events/email/reminder-due`. */
export function subscriptionRoute(group: string, name: string): string {
  return `/events/${group}/${name}`;
}
