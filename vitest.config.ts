import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["runtime/**/*.test.ts", "functions/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/database.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep files in separate forks, but not more of them than the machine can run.
    pool: "forks",
    maxWorkers: 2,
  },
});
