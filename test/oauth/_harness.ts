/**
 * The backend group as a deployment serves it, for OAuth tests: the generated registry's app (so the
 * oauth and mcp setups are the real ones) on a loopback port that is also its PUBLIC_URL, real
 * PostgreSQL, and a real SMTP server that receives the sign-in codes. `Browser` is a tiny cookie-keeping
 * form client for protocol tests; the end-to-end test drives real Chromium instead.
 */
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import type { Sql } from "postgres";
import { setMailer } from "../../functions/_shared/mail/mailer.js";
import { loadConfig } from "../../runtime/config.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import { registry } from "../../runtime/generated/registry.gen.js";
import { silentLogger } from "../../runtime/log.js";
import { RuntimeMetrics } from "../../runtime/metrics.js";
import type { Registry } from "../../runtime/registry.js";
import { createApp } from "../../runtime/router/app.js";
import { Lifecycle } from "../../runtime/router/lifecycle.js";
import type { TestDb } from "../support/db.js";
import { freePort } from "../support/ports.js";
import { parseMail, startTestSmtp, type TestSmtp } from "../support/smtp.js";

export interface OAuthStack {
  url: string;
  smtp: TestSmtp;
  sql: Sql;
  close(): Promise<void>;
}

/** `port` when the test must know the public URL in advance (an external issuer's audience). */
export async function startOAuthStack(
  db: TestDb,
  env: Record<string, string> = {},
  fixedPort?: number,
): Promise<OAuthStack> {
  const smtp = await startTestSmtp();
  const port = fixedPort ?? (await freePort());
  const config = loadConfig({
    PORT: String(port),
    SMTP_URL: smtp.url,
    MAIL_FROM: "taskbeat <sign-in@example.com>",
    ...env,
  });
  setMailer(undefined);
  const sql = db.sql as Sql;
  const app = createApp({
    registry: registry as Registry,
    groups: ["backend"],
    sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    metrics: new RuntimeMetrics(),
    lifecycle: new Lifecycle(),
    setupContext: { config, sql, dapr: {} as DaprClient, log: silentLogger },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    smtp,
    sql,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await smtp.stop();
    },
  };
}

/** The newest sign-in code mailed to `email`. */
export function lastCode(smtp: TestSmtp, email: string): string {
  const mail = [...smtp.received].reverse().find((m) => m.to.includes(email));
  if (!mail) throw new Error(`no mail to ${email}`);
  const code = /sign-in code is (\d{6})/.exec(parseMail(mail.raw).text)?.[1];
  if (!code) throw new Error(`no code in the mail to ${email}`);
  return code;
}

/** A cookie-keeping client that follows nothing by itself, so each redirect can be looked at. */
export class Browser {
  private cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.send(url, { method: "GET" });
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.send(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = (pair ?? "").indexOf("=");
      if (eq > 0) this.cookies.set((pair ?? "").slice(0, eq), (pair ?? "").slice(eq + 1));
    }
    return response;
  }
}

/** The hidden request id and CSRF token of a sign-in page. */
export function formFields(html: string): { request: string; csrf: string } {
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!request || !csrf) throw new Error(`no form in page:\n${html.slice(0, 500)}`);
  return { request, csrf };
}
