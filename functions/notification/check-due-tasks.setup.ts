/** `/readyz` of the notification group also asks whether check-due-tasks is running (see _readiness.ts). */
import { defineSetup } from "../../runtime/define.js";
import { notificationReadiness } from "./_readiness.js";

export default defineSetup({
  readiness: ({ dapr }) => [notificationReadiness(dapr)],
});
