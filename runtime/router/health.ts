/**
 * `/healthz` says the process is alive (daprd's app health check and the liveness probe use it, and
 * it must not depend on the sidecar: a sidecar restart must not restart the app). `/readyz` says
 * it can do work now: database and sidecar reachable, not shutting down.
 */
import type { Hono } from "hono";
import type { RuntimeMetrics } from "../metrics.js";
import type { Lifecycle } from "./lifecycle.js";

export interface ReadinessCheck {
  name: string;
  /** Resolves true when ready, or to a detail object that is reported as-is (e.g. a job's last run). */
  check(signal: AbortSignal): Promise<boolean | { ok: boolean; [detail: string]: unknown }>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function mountHealth(
  app: Hono,
  lifecycle: Lifecycle,
  metrics: RuntimeMetrics,
  checks: ReadinessCheck[],
) {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    if (lifecycle.isLeaving) return c.json({ status: "draining" }, 503);
    const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          const outcome = await check(signal);
          return [name, typeof outcome === "boolean" ? { ok: outcome } : outcome] as const;
        } catch {
          return [name, { ok: false }] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result.ok);
    return c.json(
      { status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) },
      ready ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) =>
    c.text(await metrics.render(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
  );
}
