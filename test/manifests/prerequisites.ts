/**
 * What the manifest tests need besides node_modules: `kubectl` (kustomize), `../shared/dapr-reference` (the pinned
 * Dapr CRDs and component metadata) and `promtool` (Debian's `prometheus` package). In CI (`CI=true`, set by
 * .ci/run) a missing one fails the suite; on a plain clone the tests that need it are skipped, the skip says why,
 * and a warning names it once per file, so nothing passes silently.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { findDaprReference } from "../support/crd.js";

export const root = path.resolve(import.meta.dirname, "../..");
export const inCI = process.env.CI === "true" || process.env.CI === "1";

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface Prerequisite {
  name: string;
  available: boolean;
  /** Skip the tests that need it: only outside CI. In CI they run and fail, next to `missingInCI`. */
  skip: boolean;
  /** Appended to a describe/it title: empty when available. */
  note: string;
}

function prerequisite(name: string, available: boolean, hint: string): Prerequisite {
  if (!available && !inCI) console.warn(`test/manifests: SKIPPED the checks that need ${name}: ${hint}`);
  return { name, available, skip: !available && !inCI, note: available ? "" : ` — SKIPPED: ${hint}` };
}

export const kubectl = prerequisite(
  "kubectl",
  runs("kubectl", ["version", "--client"]),
  "kubectl is not on PATH (kustomize renders)",
);
export const daprReferenceDir = findDaprReference(root);
export const daprReference = prerequisite(
  "../shared/dapr-reference",
  daprReferenceDir !== undefined,
  "../shared/dapr-reference (the pinned Dapr CRDs and component metadata) is absent",
);
export const promtool = prerequisite(
  "promtool",
  runs("promtool", ["--version"]),
  "promtool is not on PATH (apt-get install prometheus)",
);

/** The prerequisites CI lacks (always empty outside CI: there they only skip). */
export function missingInCI(...needed: Prerequisite[]): string[] {
  return inCI ? needed.filter((p) => !p.available).map((p) => p.name) : [];
}
