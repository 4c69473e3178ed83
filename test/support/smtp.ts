/**
 * A real SMTP server for tests (the `smtp-server` package) on a loopback port: it records every
 * message it accepts, can require a login, answer a chosen reply code instead, or delay its answer,
 * and can be stopped and started again on the same port (an outage). `parseMail` reads back what
 * nodemailer wrote: headers, and the text and HTML parts decoded.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface TestSmtp {
  readonly port: number;
  /** `smtp://user:secret@127.0.0.1:<port>` */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Set to answer the next messages' DATA with this reply (e.g. 550 or 451) instead of accepting. */
  rejectWith: { code: number; message: string } | undefined;
  /** Milliseconds to wait before answering DATA. */
  delayMs: number;
  /** SMTP sessions (TCP connections) accepted so far. */
  sessions: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const SMTP_USER = "user";
export const SMTP_PASS = "secret";

/** Starts it (on `port`, or an ephemeral one). */
export async function startTestSmtp(port = 0): Promise<TestSmtp> {
  let server: SMTPServer | undefined;
  const smtp: TestSmtp = {
    port,
    url: "",
    received: [],
    rejectWith: undefined,
    delayMs: 0,
    sessions: 0,
    async start() {
      server = new SMTPServer({
        logger: false,
        disabledCommands: ["STARTTLS"],
        allowInsecureAuth: true,
        onConnect(_session, callback) {
          smtp.sessions++;
          callback();
        },
        onAuth(auth, _session, callback) {
          if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: SMTP_USER });
          else callback(Object.assign(new Error("invalid login"), { responseCode: 535 }));
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            setTimeout(() => {
              const reject = smtp.rejectWith;
              if (reject)
                return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }));
              const envelope = session.envelope;
              smtp.received.push({
                from: envelope.mailFrom ? envelope.mailFrom.address : "",
                to: envelope.rcptTo.map((r) => r.address),
                raw: Buffer.concat(chunks).toString("utf8"),
              });
              callback(null);
            }, smtp.delayMs);
          });
        },
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.server.once("error", reject);
        listening.listen(smtp.port, "127.0.0.1", () => resolve());
      });
      (smtp as { port: number }).port = (listening.server.address() as AddressInfo).port;
      (smtp as { url: string }).url = `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${smtp.port}`;
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running) return;
      // close() waits for clients to quit; pooled clients stay connected, so end them.
      for (const connection of running.connections) connection.close();
      await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
  await smtp.start();
  return smtp;
}

export interface ParsedMail {
  /** Header names lower-cased, folded lines joined. */
  headers: Record<string, string>;
  text: string;
  html: string;
}

/** Reads a message as nodemailer writes it: one part, or multipart/alternative with text and HTML. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitPart(raw);
  const parts: Array<{ headers: Record<string, string>; body: string }> = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers["content-type"] ?? "")?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith("--")) break;
      parts.push(splitPart(chunk.replace(/^\r?\n/, "")));
    }
  } else parts.push({ headers, body });
  const find = (type: string) => {
    const part = parts.find((p) => (p.headers["content-type"] ?? "").startsWith(type));
    return part ? decode(part.body, part.headers["content-transfer-encoding"] ?? "7bit") : "";
  };
  return { headers, text: find("text/plain"), html: find("text/html") };
}

function splitPart(raw: string) {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match ? raw.slice(0, match.index) : raw;
  const body = match ? raw.slice(match.index + match[0].length) : "";
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`); whitespace between two of them is dropped. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_m, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decode(text.replace(/_/g, " "), "quoted-printable"),
    );
}

function decode(body: string, encoding: string): string {
  const trimmed = body.replace(/\r?\n$/, "");
  if (/base64/i.test(encoding)) return Buffer.from(trimmed, "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding)) {
    const soft = trimmed.replace(/=\r?\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      const hex = soft.slice(i + 1, i + 3);
      if (soft[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else bytes.push(...Buffer.from(soft[i] ?? "", "utf8"));
    }
    return Buffer.from(bytes).toString("utf8").replace(/\r\n/g, "\n");
  }
  return trimmed.replace(/\r\n/g, "\n");
}
