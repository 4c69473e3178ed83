#!/usr/bin/env node
// The `taskbeat` command. The project is TypeScript run through tsx's loader, so there is no build
// step between editing a handler and running it.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../runtime/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
