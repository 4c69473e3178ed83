import { runGenerator } from "../../gen/main.js";
import { type Command, parseOptions } from "../command.js";

export const gen: Command = {
  help: `Usage: taskbeat gen [--check]

Scans functions/<group>/*.{topic,job,tool}.ts in sorted order and writes
runtime/generated/ (one module per group, the lazy loader table and the all-groups registry) and
subscriptions/*.yaml; cross-checks jobs/ against job handlers.

Options:
  --check   write nothing; exit 1 listing every generated file that is out of date`,

  async run(argv) {
    const { values } = parseOptions(argv, { check: { type: "boolean", default: false } });
    // The generator imports functions/**/*.ts. Run from the sources, tsx's loader is already in place; run
    // from the compiled build (dist/), it is registered here, the one command that reads TypeScript.
    if (!import.meta.url.endsWith(".ts")) (await import("tsx/esm/api")).register();
    const result = await runGenerator({
      root: process.cwd(),
      check: values.check,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    return result.ok ? 0 : 1;
  },
};
