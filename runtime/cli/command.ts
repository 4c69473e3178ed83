import { type ParseArgsConfig, parseArgs } from "node:util";

export interface Command {
  /** The full `--help` text. */
  help: string;
  /** Resolves to the exit code; long-running commands resolve when they have stopped. */
  run(argv: string[]): Promise<number>;
}

/** A mistake in how the command was called; printed with the command's help. */
export class UsageError extends Error {}

export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
