/** The runtime's own command names; a group's setup may add others (`taskbeat users`), never one of these. */
export const FRAMEWORK_COMMANDS: readonly string[] = ["start", "serve", "mcp", "migrate", "gen", "invoke"];
