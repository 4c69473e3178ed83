/**
 * `taskbeat <command>`: each command is one file in `commands/`, exporting its help text and `run`, and
 * imported only when it runs: `serve --group email` must not pay for the MCP SDK or the embedded database.
 */
import { ConfigError } from "../config.js";
import { commandLoaders } from "../generated/commands.gen.js";
import { type Command, UsageError } from "./command.js";

interface CommandEntry {
  /** One line for the command list. */
  summary: string;
  /** Each command's module (and the packages it needs) loads only when that command runs. */
  load(): Promise<Command | undefined>;
}

/** The runtime's own commands (their names are in framework-commands.ts); the groups' setups add theirs. */
const own: Record<string, CommandEntry> = {
  start: {
    summary: "run every function group, a local Dapr sidecar and a database in one process (no setup)",
    load: async () => (await import("./commands/start.js")).start,
  },
  serve: {
    summary: "run one function group behind a real daprd (what the container runs)",
    load: async () => (await import("./commands/serve.js")).serve,
  },
  mcp: {
    summary: "serve the MCP tools over stdio, as the user of TASKBEAT_TOKEN",
    load: async () => (await import("./commands/mcp.js")).mcp,
  },
  migrate: {
    summary: "apply the database migrations and exit",
    load: async () => (await import("./commands/migrate.js")).migrate,
  },
  gen: {
    summary: "generate the registry and Subscription YAMLs from functions/ (--check: verify only)",
    load: async () => (await import("./commands/gen.js")).gen,
  },
  invoke: {
    summary: "publish a test CloudEvent to a topic through the sidecar",
    load: async () => (await import("./commands/invoke.js")).invoke,
  },
};

// The generator refuses a setup command named like one of the runtime's, so neither shadows the other.
const commands: Record<string, CommandEntry> = { ...own, ...commandLoaders };

const usage = `taskbeat — event-driven tasks for AI assistants, as function handlers behind a Dapr sidecar

Usage: taskbeat <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`)
  .join("\n")}

Run "taskbeat <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  const command = await entry?.load();
  if (!command) {
    process.stderr.write(`taskbeat: unknown command "${name}"\n\n${usage}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`taskbeat ${name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`taskbeat ${name}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`taskbeat ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
