/**
 * `taskbeat <command>`: each command is one file in `commands/`, exporting its help text and `run`.
 */
import { ConfigError } from "../config.js";
import { type Command, UsageError } from "./command.js";
import { gen } from "./commands/gen.js";
import { invoke } from "./commands/invoke.js";
import { mcp } from "./commands/mcp.js";
import { migrate } from "./commands/migrate.js";
import { serve } from "./commands/serve.js";
import { start } from "./commands/start.js";
import { users } from "./commands/users.js";

const commands: Record<string, Command> = { start, serve, users, mcp, migrate, gen, invoke };

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
  const command = commands[name];
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
