/** `taskbeat dead-letters`: what Dapr dead-lettered and what the outbox gave up on, and putting it back. */
import { type Command, parseOptions, UsageError } from "../../runtime/cli/command.js";
import { connectDatabase } from "../../runtime/cli/database.js";
import { loadConfig } from "../../runtime/config.js";
import { migrate } from "../../runtime/db/migrate.js";
import { createLogger } from "../../runtime/log.js";
import { discardDeadLetter, listDeadLetters, replayDeadLetter, showDeadLetter } from "./_dead-letters.js";

export const deadLetters: Command & { summary: string } = {
  summary: "list, show, replay or discard dead-lettered events",
  help: `Usage: taskbeat dead-letters list [--limit <n>]
       taskbeat dead-letters show <id>
       taskbeat dead-letters replay <id>
       taskbeat dead-letters discard <id>

list      the newest dead letters: messages Dapr moved to task-reminders-dlq or task-recurrence-dlq
          (source = that topic) and outbox rows the relay gave up on (source = outbox)
show      one event id's dead letters, with the event, as JSON
replay    puts the event back into the outbox, same id: the relay publishes it (within 10 s, the
          relay-outbox job), and consumers that handled it after all skip it. Fix the cause first.
discard   deletes the event id's dead letters for good

<id> is the CloudEvent id (the logs' eventId). Works on DATABASE_URL, or without it on the embedded
database of "taskbeat start" in TASKBEAT_HOME.`,

  async run(argv) {
    const { values, positionals } = parseOptions(argv, { limit: { type: "string" } }, true);
    const [action, id, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (action === "list") {
      if (id !== undefined) throw new UsageError(`unexpected argument "${id}"`);
    } else if (action === "show" || action === "replay" || action === "discard") {
      if (id === undefined)
        throw new UsageError(`expected the event <id>: taskbeat dead-letters ${action} <id>`);
    } else {
      throw new UsageError(
        action === undefined ? "expected list, show, replay or discard" : `unknown action "${action}"`,
      );
    }
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a whole number ≥ 1");

    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
    const db = await connectDatabase(config, log);
    try {
      await migrate(db.sql);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      switch (action) {
        case "list": {
          const rows = await listDeadLetters(db.sql, limit);
          if (rows.length === 0) {
            process.stderr.write("No dead letters.\n");
            return 0;
          }
          for (const row of rows) {
            const why = row.last_error ? `  (${row.attempts} attempts: ${row.last_error})` : "";
            out(
              `${row.id}  ${row.source}  ${row.dead_at.toISOString()}  ${row.type ?? "?"}  ${row.subject ?? ""}${why}`,
            );
          }
          return 0;
        }
        case "show": {
          const rows = await showDeadLetter(db.sql, id as string);
          if (rows.length === 0) return notFound(id as string);
          out(JSON.stringify(rows, null, 2));
          return 0;
        }
        case "replay": {
          const n = await replayDeadLetter(db.sql, id as string);
          if (n === 0) return notFound(id as string);
          process.stderr.write(`Replayed ${id}: back in the outbox, published by the relay shortly.\n`);
          return 0;
        }
        default: {
          const n = await discardDeadLetter(db.sql, id as string);
          if (n === 0) return notFound(id as string);
          process.stderr.write(`Discarded ${n} dead letter(s) of ${id}.\n`);
          return 0;
        }
      }
    } finally {
      await db.close();
    }
  },
};

function notFound(id: string): number {
  process.stderr.write(`No dead letter with the id ${id}; "taskbeat dead-letters list" shows them.\n`);
  return 1;
}
