/**
 * The house rules the layout states: `runtime/` is the function framework and knows nothing of the task
 * application; only the generated registry (`runtime/generated/`) imports `functions/`, which is its job.
 * The development sidecar is never reached from `serve`.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

/** Relative import specifiers of a module, resolved against the project root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(path.join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
  return specifiers.map((specifier) =>
    path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier)),
  );
}

describe("layout", () => {
  it("runtime/ never imports the application (functions/), except the generated registry", async () => {
    const offenders: string[] = [];
    for (const file of await sources("runtime")) {
      if (file.startsWith("runtime/generated/") || file.endsWith(".test.ts")) continue;
      for (const target of await importsOf(file)) {
        if (target.startsWith("functions/") || target.startsWith("test/"))
          offenders.push(`${file} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("runtime tests use the framework with test fixtures, not the application", async () => {
    const offenders: string[] = [];
    for (const file of await sources("runtime")) {
      if (!file.endsWith(".test.ts")) continue;
      for (const target of await importsOf(file)) {
        if (target.startsWith("functions/")) offenders.push(`${file} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("serve never loads the development sidecar", async () => {
    const seen = new Set<string>();
    const queue = ["runtime/cli/commands/serve.ts"];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const target of await importsOf(file)) {
        const ts = target.replace(/\.js$/, ".ts");
        if (ts.startsWith("runtime/") && !ts.startsWith("runtime/generated/")) queue.push(ts);
      }
    }
    expect([...seen].filter((file) => file.startsWith("runtime/dev-sidecar/"))).toEqual([]);
  });

  it("no AsyncLocalStorage in the framework or the application: the request's span travels in ctx", async () => {
    // On Node 20 a storage, once entered, makes every promise of the process run an async hook: ~13 % of
    // a delivery (BENCHMARKS.md). runtime/trace.ts says how the span travels instead.
    const offenders: string[] = [];
    for (const file of [...(await sources("runtime")), ...(await sources("functions"))]) {
      if (file.endsWith(".test.ts")) continue;
      const text = await readFile(path.join(root, file), "utf8");
      if (/new AsyncLocalStorage|from "node:async_hooks"/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
