/**
 * The mail server at the end of the pipeline benchmark: the `smtp-server` package on a loopback port,
 * accepting every message and noting when it accepted it and which reminder it was (the
 * `X-Taskbeat-Reminder-Id` header the mailer sets). The time is taken just before the 250 reply, i.e.
 * the moment the sender learns the mail was accepted.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface AcceptedMail {
  reminderId: string;
  /** Epoch ms, comparable with a database timestamp on the same machine. */
  at: number;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` (no login: the exchange costs one round trip per pooled connection). */
  readonly url: string;
  readonly accepted: AcceptedMail[];
  /** TCP connections opened by senders so far. */
  readonly sessions: number;
  stop(): Promise<void>;
}

const REMINDER_HEADER = /^X-Taskbeat-Reminder-Id:\s*(\S+)/im;

export async function startSmtpSink(): Promise<SmtpSink> {
  let sessions = 0;
  const accepted: AcceptedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ["STARTTLS", "AUTH"],
    // Every sender stays connected (pooled); the default of 100 would refuse a large pool.
    maxClients: 1000,
    onConnect(_session, callback) {
      sessions++;
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const reminderId = REMINDER_HEADER.exec(Buffer.concat(chunks).toString("utf8"))?.[1] ?? "";
        accepted.push({ reminderId, at: Date.now() });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    get sessions() {
      return sessions;
    },
    async stop() {
      // close() waits for clients to quit, and pooled clients stay connected: end them.
      for (const connection of server.connections) connection.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
