/**
 * A MailMessage as the bytes that go over SMTP (or into an .eml file), built in one go. nodemailer
 * composes the message (MailComposer: addresses, encoded words, the transfer encoding of each part,
 * the boundary), and this serialises the composed tree with nodemailer's own encoders instead of its
 * streams: each part's stream chain (pipeline, newline and encoder transforms) cost about 1 ms of CPU
 * and ten socket writes per reminder, most of what a mail cost the email handler (bench/pipeline.ts).
 * Sent as `raw`, the message leaves in one write.
 *
 * Only what reminders use is supported: text parts with string content, nested in multiparts.
 */
import { randomUUID } from "node:crypto";
import { encode as base64Encode, wrap as base64Wrap } from "nodemailer/lib/base64";
import MailComposer from "nodemailer/lib/mail-composer";
import type MimeNode from "nodemailer/lib/mime-node";
import { encode as qpEncode, wrap as qpWrap } from "nodemailer/lib/qp";
import type { MailMessage } from "./compose.js";

export interface RenderedMail {
  envelope: { from: string; to: string[] };
  /** The whole message, CRLF line ends, ready for SMTP DATA (before dot-stuffing). */
  raw: Buffer;
}

/** `boundary` replaces the random part of the boundary (tests compare renderings). */
export function renderMail(
  message: MailMessage,
  options: { date?: Date; boundary?: string } = {},
): RenderedMail {
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
  }).compile();
  const { from, to } = root.getEnvelope();
  if (!from || to.length === 0) throw new Error("renderMail: the message needs a sender and a recipient");
  return { envelope: { from, to }, raw: Buffer.from(serialise(root), "utf8") };
}

function serialise(node: MimeNode): string {
  // Headers first: building them also decides the boundary and the transfer encoding.
  const head = node.buildHeaders();
  if (node.boundary) {
    const parts = node.childNodes.map((child) => `--${node.boundary}\r\n${serialise(child)}\r\n`);
    return `${head}\r\n\r\n${parts.join("")}--${node.boundary}--\r\n`;
  }
  if (typeof node.content !== "string") throw new Error("renderMail: only text content is supported");
  const body = node.content.replace(/\r?\n/g, "\r\n");
  const encoding = String(node.getHeader("Content-Transfer-Encoding") ?? "").toLowerCase();
  if (encoding === "quoted-printable") return `${head}\r\n\r\n${qpWrap(qpEncode(body), 76)}`;
  if (encoding === "base64") return `${head}\r\n\r\n${base64Wrap(base64Encode(body), 76)}`;
  return `${head}\r\n\r\n${body}`;
}
