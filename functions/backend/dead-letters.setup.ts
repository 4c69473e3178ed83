/** `taskbeat dead-letters` (functions/backend/_dead-letters-command.ts), beside the DLQ subscriptions. */
import { defineSetup } from "../../runtime/define.js";
import { deadLetters } from "./_dead-letters-command.js";

export default defineSetup({ commands: { "dead-letters": deadLetters } });
