import { runGenerator } from "../../gen/main.js";
import { type Command, parseOptions } from "../command.js";

export const gen: Command = {
  summary: "generate the registry and Subscription YAMLs from functions/ (--check: verify only)",
  help: `Usage: taskbeat gen [--check]

Scans functions/<group>/*.{topic,job,tool}.ts in sorted order and writes
runtime/generated/registry.gen.ts and subscriptions/*.yaml; cross-checks jobs/ against job handlers.

Options:
  --check   write nothing; exit 1 listing every generated file that is out of date`,

  async run(argv) {
    const { values } = parseOptions(argv, { check: { type: "boolean", default: false } });
    const result = await runGenerator({
      root: process.cwd(),
      check: values.check,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    return result.ok ? 0 : 1;
  },
};
