/**
 * Debian's Chromium for browser tests, driven by playwright-core (which downloads no browser of its own).
 * Missing locally: the tests skip and say why. Missing in CI (CI=true): they fail, since .ci/run is
 * meant to install it.
 */
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];

export const chromiumMissing = !existsSync(CHROMIUM);
export const inCi = process.env.CI === "true";
/** Skip only outside CI; in CI a missing browser is a failure, reported by the test itself. */
export const skipBrowser = chromiumMissing && !inCi;
export const browserNote = chromiumMissing
  ? ` — ${inCi ? "FAILS" : "SKIPPED"}: ${CHROMIUM} is missing (apt-get install -y chromium)`
  : "";
