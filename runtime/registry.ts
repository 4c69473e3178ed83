/**
 * The shape of the generated registry (`runtime/generated/registry.gen.ts`): for each function group
 * (a folder in `functions/`, one Deployment, one Dapr app-id), the units it serves.
 */
import type { JobDefinition, SubscriptionDefinition, ToolDefinition } from "./define.js";

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

export interface GroupRegistry {
  subscriptions: readonly RegisteredSubscription[];
  jobs: readonly RegisteredJob[];
  tools: readonly RegisteredTool[];
}

export type Registry = Readonly<Record<string, GroupRegistry>>;

/** The stable route of a topic handler: `functions/email/reminder-due.topic.ts` → `/events/email/reminder-due`. */
export function subscriptionRoute(group: string, name: string): string {
  return `/events/${group}/${name}`;
}
