/**
 * `bin/taskbeat.mjs` runs the compiled build only while it is current: a source changed after the build
 * (a handler, a runtime module, a migration) sends it back to the TypeScript sources, so an edit is never
 * run as stale code. Checked on a throwaway project whose build and sources each say which one ran.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const project = mkdtempSync(join(tmpdir(), "taskbeat-bin-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const says = (who: string) =>
  `export async function main(argv) { process.stdout.write(${JSON.stringify(who)} + " " + argv.join(" ")); return 0; }\n`;

mkdirSync(join(project, "bin"));
for (const file of ["taskbeat.mjs", "build-state.mjs"])
  cpSync(join(root, "bin", file), join(project, "bin", file));
symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
writeFileSync(join(project, "package.json"), '{ "type": "module" }\n');
for (const dir of ["runtime/cli", "runtime/db/migrations", "functions/email", "dist"]) {
  mkdirSync(join(project, dir), { recursive: true });
}
writeFileSync(join(project, "runtime/cli/main.ts"), says("sources"));
writeFileSync(join(project, "functions/email/reminder-due.topic.ts"), "export default {};\n");
writeFileSync(join(project, "runtime/db/migrations/0001_init.sql"), "select 1;\n");
writeFileSync(join(project, "functions/email/reminder-due.test.ts"), "// a test, not a source\n");

const run = () =>
  spawnSync(process.execPath, [join(project, "bin", "taskbeat.mjs"), "serve", "--group", "email"], {
    encoding: "utf8",
    timeout: 15_000,
  });

/** Sets a file's modification time, in seconds relative to now. */
const touch = (file: string, secondsFromNow: number) => {
  const at = new Date(Date.now() + secondsFromNow * 1000);
  utimesSync(join(project, file), at, at);
};
const sources = [
  "runtime/cli/main.ts",
  "functions/email/reminder-due.topic.ts",
  "runtime/db/migrations/0001_init.sql",
  "functions/email/reminder-due.test.ts",
];

describe("bin/taskbeat.mjs", () => {
  it("runs the sources through tsx when there is no build", () => {
    const result = run();
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("sources serve --group email");
  });

  it("runs the build when it is newer than every source", () => {
    writeFileSync(join(project, "dist/taskbeat.js"), says("build"));
    for (const file of sources) touch(file, -60);
    touch("dist/taskbeat.js", 0);
    expect(run().stdout).toBe("build serve --group email");
  });

  it.each(sources.slice(0, 3))("runs the sources once %s changed after the build", (file) => {
    for (const other of sources) touch(other, -60);
    touch("dist/taskbeat.js", -30);
    touch(file, 0);
    expect(run().stdout).toBe("sources serve --group email");
  });

  it("ignores test files when deciding", () => {
    for (const file of sources) touch(file, -60);
    touch("dist/taskbeat.js", -30);
    touch("functions/email/reminder-due.test.ts", 0);
    expect(run().stdout).toBe("build serve --group email");
  });
});
