/**
 * A real PostgreSQL for tests, in this order: `DATABASE_URL` (CI and this project's machines), a
 * `@testcontainers/postgresql` container when Docker is available, else embedded PGlite served over
 * its socket — so `npm test` passes on a fresh machine. Runs once per test run (vitest globalSetup)
 * and hands the choice to the test files through `inject("databaseUrl")` / `inject("databaseIsEmbedded")`.
 */
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    /** No server: each file runs its own PGlite (one session: a pool of one, no real concurrency). */
    databaseIsEmbedded: boolean;
  }
}

export default async function setup(project: TestProject) {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    const shown = new URL(fromEnv);
    shown.password = "";
    console.info(`tests: PostgreSQL from DATABASE_URL (${shown.host}${shown.pathname})`);
    project.provide("databaseUrl", fromEnv);
    project.provide("databaseIsEmbedded", false);
    return;
  }
  const container = await startContainer();
  if (container) {
    console.info("tests: PostgreSQL in a testcontainers postgres:17-alpine container");
    project.provide("databaseUrl", container.url);
    project.provide("databaseIsEmbedded", false);
    return container.stop;
  }
  // PGlite is one session, so schemas per file cannot work there: each file starts its own instance.
  console.info("tests: embedded PGlite, one instance per test file (tests that need concurrency skip)");
  project.provide("databaseUrl", "");
  project.provide("databaseIsEmbedded", true);
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  try {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:17-alpine").start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch (error) {
    // No Docker engine here (the usual case on this project's machines), or the package cannot load on this
    // Node.js: say which, then fall through to PGlite.
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    console.info(`tests: no testcontainers PostgreSQL (${reason})`);
    return undefined;
  }
}
