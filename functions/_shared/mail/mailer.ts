/**
 * One Mailer per process, built at start from the configuration (`configureMailer`, called by
 * serveGroups) and read by handlers through `getMailer()`: handlers get no mail client in their
 * context, and this is the smallest hook that needs none. Both kinds send what render.ts makes of a
 * message. Two kinds:
 * - SMTP (`SMTP_URL`): nodemailer's pooled transport, connections opened on first use and reused.
 * - Files (no `SMTP_URL`, e.g. `taskbeat start`): each message rendered to `<dir>/<key>.eml`; the key
 *   is the reminder id, so sending a reminder again overwrites its file instead of adding one.
 * Without `configureMailer` (a handler run outside serveGroups), getMailer() writes files under
 * `.taskbeat/mail`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createTransport } from "nodemailer";
import { type Config, ConfigError } from "../../../runtime/config.js";
import { type Logger, silentLogger } from "../../../runtime/log.js";
import type { MailMessage } from "./compose.js";
import { renderMail } from "./render.js";

export interface SentMail {
  messageId: string;
  /** The SMTP server's final reply, or the file written. */
  response: string;
}

export interface Mailer {
  /** The From address of every message. */
  readonly from: string;
  /** For logs and the start banner: `SMTP smtp://user@host:587` (no password) or `files in <dir>`. */
  readonly description: string;
  /** Rejects with nodemailer's error (`code`, `responseCode`); see classifyMailError. */
  send(message: MailMessage, signal?: AbortSignal): Promise<SentMail>;
  close(): Promise<void>;
}

export const DEFAULT_FROM = "taskbeat <taskbeat@localhost>";

export type MailConfig = Pick<Config, "SMTP_URL" | "MAIL_FROM" | "SMTP_TIMEOUT_MS" | "TASKBEAT_HOME">;

export function createSmtpMailer(options: {
  url: string;
  from: string;
  timeoutMs: number;
  maxConnections?: number;
  log?: Logger;
}): Mailer {
  const log = options.log ?? silentLogger;
  const transport = createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 3,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  // A pooled connection can fail between sends; without a listener that would crash the process.
  transport.on("error", (error) => log.warn("smtp transport error", { error }));
  const shown = new URL(options.url);
  shown.password = "";
  return {
    from: options.from,
    description: `SMTP ${shown.toString().replace(/\/$/, "")}`,
    async send(message, signal) {
      const { envelope, raw } = await renderMail(message);
      // The Message-ID is in `raw`; given here too, nodemailer does not draw a random one for its log.
      const info = await transport.sendMail({
        envelope,
        raw,
        messageId: message.messageId,
        ...(signal ? { signal } : {}),
      });
      return { messageId: message.messageId, response: String(info.response ?? "") };
    },
    async close() {
      transport.close();
    },
  };
}

export function createFileMailer(options: { dir: string; from: string }): Mailer {
  const dir = resolve(options.dir);
  return {
    from: options.from,
    description: `files in ${dir}`,
    async send(message, signal) {
      signal?.throwIfAborted();
      const { raw } = await renderMail(message);
      const path = join(dir, `${message.key.replace(/[^A-Za-z0-9._-]/g, "_")}.eml`);
      // Written beside, then renamed: a reader never sees half a message, a re-send replaces it whole.
      const partial = `${path}.${randomUUID()}.tmp`;
      await mkdir(dir, { recursive: true });
      try {
        await writeFile(partial, raw);
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { messageId: message.messageId, response: path };
    },
    async close() {},
  };
}

/** The process's mailer from the configuration; `SMTP_URL` without `MAIL_FROM` is a configuration error. */
export function mailerFromConfig(config: MailConfig, log: Logger = silentLogger): Mailer {
  if (config.SMTP_URL === undefined) {
    return createFileMailer({
      dir: join(config.TASKBEAT_HOME, "mail"),
      from: config.MAIL_FROM ?? DEFAULT_FROM,
    });
  }
  if (config.MAIL_FROM === undefined) {
    throw new ConfigError(["MAIL_FROM: is required when SMTP_URL is set (the From address of reminders)"]);
  }
  return createSmtpMailer({
    url: config.SMTP_URL,
    from: config.MAIL_FROM,
    timeoutMs: config.SMTP_TIMEOUT_MS,
    log: log.child({ component: "mail" }),
  });
}

let current: Mailer | undefined;

/** Builds the process's mailer (closing one built before) and returns it. */
export function configureMailer(config: MailConfig, log?: Logger): Mailer {
  const previous = current;
  current = mailerFromConfig(config, log);
  void previous?.close();
  return current;
}

/** Replaces the process's mailer, e.g. with one pointing at a test's SMTP server; undefined resets it. */
export function setMailer(mailer: Mailer | undefined): void {
  current = mailer;
}

export function getMailer(): Mailer {
  current ??= createFileMailer({ dir: join(".taskbeat", "mail"), from: DEFAULT_FROM });
  return current;
}

/** Closes the pooled SMTP connections; the next getMailer() builds the default one. */
export async function closeMailer(): Promise<void> {
  const mailer = current;
  current = undefined;
  await mailer?.close();
}
