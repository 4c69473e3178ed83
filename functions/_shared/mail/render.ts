/**
 * A MailMessage as the bytes that go over SMTP (or into an .eml file), built by nodemailer's documented
 * MailComposer (addresses, encoded words, each part's transfer encoding, boundaries) and sent as `raw`,
 * so the message leaves in one write. An earlier version serialised MailComposer's tree with nodemailer's
 * internal encoders to skip its streams (~1 ms of CPU per reminder, bench/pipeline.ts); internals can change
 * under a minor release, so the public build is used and the cost is accepted.
 */
import { randomUUID } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import type { MailMessage } from "./compose.js";

export interface RenderedMail {
  envelope: { from: string; to: string[] };
  /** The whole message, CRLF line ends, ready for SMTP DATA (before dot-stuffing). */
  raw: Buffer;
}

/** `boundary` replaces the random part of the boundary (tests compare renderings). */
export async function renderMail(
  message: MailMessage,
  options: { date?: Date; boundary?: string } = {},
): Promise<RenderedMail> {
  const root = new MailComposer({
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    headers: message.headers,
    ...(options.date ? { date: options.date } : {}),
    // One random value for the whole tree; otherwise every node draws its own from randomBytes.
    baseBoundary: options.boundary ?? randomUUID().replaceAll("-", ""),
    // Nothing in a reminder points at a file or a URL; refuse to read any.
    disableFileAccess: true,
    disableUrlAccess: true,
    // CRLF everywhere, as SMTP DATA and .eml readers expect.
    newline: "windows",
  }).compile();
  const { from, to } = root.getEnvelope();
  if (!from || to.length === 0) throw new Error("renderMail: the message needs a sender and a recipient");
  return { envelope: { from, to }, raw: await root.build() };
}
