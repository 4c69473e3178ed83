/**
 * `defineTool` for taskbeat's tools: the runtime's helper with the tool context (the signed-in user, the
 * database, a logger) fixed once, so a tool file neither imports nor annotates it.
 */
import { toolsWithContext } from "../../runtime/define.js";
import type { ToolContext } from "./domain/context.js";

export const defineTool = toolsWithContext<ToolContext>();
