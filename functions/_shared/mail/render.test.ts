/**
 * The rendered message against what nodemailer's streaming build makes of the same input, read back: what
 * the reminder's recipient sees must be the same.
 */
import MailComposer from "nodemailer/lib/mail-composer";
import { describe, expect, it } from "vitest";
import { parseMail } from "../../../test/support/smtp.js";
import { composeReminderMail, type MailMessage } from "./compose.js";
import { renderMail } from "./render.js";

const date = new Date("2026-05-04T09:00:00Z");

const reminder = (over: { title: string; description: string | null; name: string | null; email: string }) =>
  composeReminderMail({
    reminderId: "0b6a3c1e-4a6f-4f51-9d0c-3c0c2b2f8e11",
    from: "taskbeat <reminders@example.com>",
    to: { email: over.email, name: over.name, timeZone: "Asia/Kolkata" },
    task: { id: "t-1", title: over.title, description: over.description, priority: "urgent", dueAt: date },
  });

async function nodemailerBuild(message: MailMessage): Promise<string> {
  const { key: _key, ...fields } = message;
  const built = await new MailComposer({ ...fields, date, baseBoundary: "fixed" }).compile().build();
  return built.toString("utf8");
}

/** Read back, with line ends made alike (a base64 part keeps the ones it was encoded with). */
const readBack = (raw: string) => {
  const mail = parseMail(raw);
  return { ...mail, text: mail.text.replace(/\r\n/g, "\n"), html: mail.html.replace(/\r\n/g, "\n") };
};

const cases = {
  "plain ASCII": reminder({
    title: "Renew passport",
    description: null,
    name: "Ada",
    email: "ada@example.com",
  }),
  "non-ASCII, quotes, long lines, an IDN domain": reminder({
    title:
      'Pay "rent" — ünïcødé ✓ 日本語のタイトルがとても長い場合はどうなるのでしょうか、折り返しが必要です',
    description: `Transfer\n<script>alert(1)</script>\n${"x".repeat(300)}\nends with spaces  \n.\n日本語`,
    name: 'Lovelace, Ada "the first"',
    email: "zoe@bücher.example",
  }),
  "mostly non-ASCII (base64 parts), no display name": reminder({
    title: "Ünïcode",
    description: "日本語".repeat(100),
    name: null,
    email: "plain@example.com",
  }),
};

describe("renderMail", () => {
  it.each(Object.entries(cases))("%s: reads back as nodemailer's own build does", async (_name, message) => {
    const rendered = (await renderMail(message, { date, boundary: "fixed" })).raw.toString("utf8");
    expect(readBack(rendered)).toEqual(readBack(await nodemailerBuild(message)));
  });

  it.each(Object.entries(cases))(
    "%s: CRLF line ends, lines of at most 76 characters",
    async (_name, message) => {
      const raw = (await renderMail(message)).raw.toString("utf8");
      expect(raw).not.toMatch(/[^\r]\n/);
      expect(Math.max(...raw.split("\r\n").map((line) => line.length))).toBeLessThanOrEqual(76);
      expect(raw).toMatch(/\r\n--[^\r\n]+--\r\n$/);
    },
  );

  it("gives the SMTP envelope, with an IDN domain in its ASCII form", async () => {
    const { envelope } = await renderMail(cases["non-ASCII, quotes, long lines, an IDN domain"]);
    expect(envelope).toEqual({ from: "reminders@example.com", to: ["zoe@xn--bcher-kva.example"] });
  });

  it("a fresh boundary per message", async () => {
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString("utf8"))?.[1];
    const message = cases["plain ASCII"];
    expect(boundary((await renderMail(message)).raw)).not.toBe(boundary((await renderMail(message)).raw));
  });
});
