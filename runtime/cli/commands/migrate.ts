import { loadConfig } from "../../config.js";
import { migrate as applyMigrations, loadMigrations } from "../../db/migrate.js";
import { createLogger } from "../../log.js";
import { type Command, parseOptions } from "../command.js";
import { connectDatabase } from "../database.js";

export const migrate: Command = {
  help: `Usage: taskbeat migrate

Applies the numbered SQL migrations the database has not seen yet, each in its own transaction
(those marked "-- taskbeat:no-transaction" statement by statement, for concurrent index builds),
and prints the versions it applied. A statement that waits longer than MIGRATE_LOCK_TIMEOUT_MS
(2000) for a table lock gives up, so it never holds up the app's queries, and is retried with
backoff. Migrators take turns under an advisory lock. "taskbeat serve" and "taskbeat start" do
the same at start unless MIGRATE_ON_START=false; then run this first (a pre-deploy Job).

Works on DATABASE_URL, or without it on the embedded database in TASKBEAT_HOME.`,

  async run(argv) {
    parseOptions(argv, {});
    const config = loadConfig();
    const log = createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL });
    const db = await connectDatabase(config, log);
    try {
      const migrations = await loadMigrations();
      const applied = await applyMigrations(db.sql, migrations, {
        lockTimeoutMs: config.MIGRATE_LOCK_TIMEOUT_MS,
        onRetry: (retry) => log.warn("migration waited too long for a lock; trying again", retry),
      });
      const latest = migrations.at(-1)?.version ?? 0;
      process.stdout.write(
        applied.length === 0
          ? `${db.description} is up to date (version ${latest})\n`
          : `applied ${applied.map((v) => String(v).padStart(4, "0")).join(", ")} to ${db.description}\n`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
