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
    project.provide("databaseUrl", fromEnv);
    project.provide("databaseIsEmbedded", false);
    return;
  }
  const container = await startContainer();
  if (container) {
    project.provide("databaseUrl", container.url);
    project.provide("databaseIsEmbedded", false);
    return container.stop;
  }
  // PGlite is one session, so schemas per file cannot work there: each file starts its own instance.
  project.provide("databaseUrl", "");
  project.provide("databaseIsEmbedded", true);
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  try {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:17-alpine").start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  } catch {
    // No Docker engine here (the usual case on this project's machines): fall through to PGlite.
    return undefined;
  }
}
