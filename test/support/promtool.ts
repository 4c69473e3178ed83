/**
 * Prometheus' own linter for the exposition format (`promtool check metrics`, Debian package
 * `prometheus`). Missing on a laptop: the test is skipped with the reason; missing in CI: it fails.
 */
import { spawnSync } from "node:child_process";

export const promtoolMissing = (): string | undefined => {
  const found = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (!found.error) return undefined;
  const reason =
    "promtool is not installed (apt-get install prometheus): the exposition-format lint is skipped";
  if (process.env.CI === "true") throw new Error(`${reason}, and CI=true requires it`);
  return reason;
};

/** promtool's findings (empty when clean); it reads the scrape on stdin. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
