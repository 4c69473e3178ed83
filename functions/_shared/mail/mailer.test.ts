/**
 * The mailers against a real SMTP server on a loopback port and a real directory, and how their
 * failures are classified.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../runtime/config.js";
import { parseMail, SMTP_PASS, SMTP_USER, startTestSmtp, type TestSmtp } from "../../../test/support/smtp.js";
import { composeReminderMail, type MailMessage } from "./compose.js";
import { classifyMailError } from "./errors.js";
import { closeMailer, configureMailer, createFileMailer, createSmtpMailer, getMailer } from "./mailer.js";

const FROM = "taskbeat <reminders@example.com>";
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startTestSmtp();
});
afterAll(() => smtp.stop());
beforeEach(() => {
  smtp.received.length = 0;
  smtp.rejectWith = undefined;
});

const message = (reminderId: string, title = "Call the bank"): MailMessage =>
  composeReminderMail({
    reminderId,
    from: FROM,
    to: { email: "ada@example.com", name: "Ada", timeZone: "UTC" },
    task: { id: "t-1", title, description: null, priority: "low", dueAt: new Date("2026-05-04T09:00:00Z") },
  });

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the send to fail");
    },
    (error: unknown) => error,
  );

describe("SMTP mailer", () => {
  it("logs in with the URL's credentials and reuses one pooled connection for several messages", async () => {
    const mailer = createSmtpMailer({ url: smtp.url, from: FROM, timeoutMs: 2000 });
    const before = smtp.sessions;
    try {
      for (const id of ["r-1", "r-2", "r-3"]) await mailer.send(message(id));
    } finally {
      await mailer.close();
    }
    expect(smtp.received.map((m) => parseMail(m.raw).headers["message-id"])).toEqual([
      "<reminder-r-1@taskbeat>",
      "<reminder-r-2@taskbeat>",
      "<reminder-r-3@taskbeat>",
    ]);
    expect(smtp.sessions - before).toBe(1);
    expect(mailer.description).toBe(`SMTP smtp://${SMTP_USER}@127.0.0.1:${smtp.port}`);
    expect(mailer.description).not.toContain(SMTP_PASS);
  });

  it("classifies real failures: 5xx permanent, 4xx temporary, bad login temporary", async () => {
    const mailer = createSmtpMailer({ url: smtp.url, from: FROM, timeoutMs: 2000 });
    const badLogin = createSmtpMailer({
      url: `smtp://${SMTP_USER}:wrong@127.0.0.1:${smtp.port}`,
      from: FROM,
      timeoutMs: 2000,
    });
    try {
      smtp.rejectWith = { code: 554, message: "message rejected as spam" };
      expect(classifyMailError(await rejection(mailer.send(message("r-5"))))).toEqual({
        kind: "permanent",
        reason: expect.stringMatching(/^554: .*rejected as spam/),
      });
      smtp.rejectWith = { code: 452, message: "insufficient storage" };
      expect(classifyMailError(await rejection(mailer.send(message("r-4")))).kind).toBe("temporary");
      smtp.rejectWith = undefined;
      const login = await rejection(badLogin.send(message("r-6")));
      expect(login).toMatchObject({ code: "EAUTH", responseCode: 535 });
      expect(classifyMailError(login).kind).toBe("temporary");
    } finally {
      await mailer.close();
      await badLogin.close();
    }
    expect(smtp.received).toEqual([]);
  });
});

describe("classifyMailError", () => {
  it.each([
    [{ code: "ECONNECTION", message: "Connection closed" }, "temporary"],
    [{ code: "ETIMEDOUT", message: "Greeting never received" }, "temporary"],
    [{ code: "ESOCKET", message: "connect ECONNREFUSED 127.0.0.1:1" }, "temporary"],
    [{ code: "EENVELOPE", responseCode: 421, message: "service not available" }, "temporary"],
    [{ code: "EENVELOPE", responseCode: 550, message: "no such user" }, "permanent"],
    [{ code: "EMESSAGE", responseCode: 552, message: "message too big" }, "permanent"],
    [{ code: "EPROTOCOL", responseCode: 503, message: "bad sequence" }, "temporary"],
    [{ code: "EENVELOPE", responseCode: 530, message: "authentication required" }, "temporary"],
    [{ code: "EAUTH", responseCode: 535, message: "bad credentials" }, "temporary"],
    [new Error("EACCES: permission denied, open '/mail/x.eml'"), "temporary"],
    ["something odd", "temporary"],
  ])("%j → %s", (error, kind) => {
    expect(classifyMailError(error).kind).toBe(kind);
  });

  it("prefers the server's reply in the reason, on one line, at most 500 characters", () => {
    const reason = classifyMailError({
      code: "EENVELOPE",
      responseCode: 550,
      response: "550 5.1.1 no such\r\n user",
      message: "ignored",
    }).reason;
    expect(reason).toBe("550: 550 5.1.1 no such user");
    expect(classifyMailError({ message: "x".repeat(900) }).reason).toHaveLength(500);
  });
});

describe("file mailer", () => {
  it("writes <dir>/<reminder id>.eml, creating the folder; a re-send replaces the file", async () => {
    const root = await mkdtemp(join(tmpdir(), "taskbeat-mail-"));
    const dir = join(root, "nested", "mail");
    try {
      const mailer = createFileMailer({ dir, from: FROM });
      const sent = await mailer.send(message("r-1", "First"));
      await mailer.send(message("r-2"));
      await mailer.send(message("r-1", "First, again"));
      expect(sent).toEqual({ messageId: "<reminder-r-1@taskbeat>", response: join(dir, "r-1.eml") });
      expect((await readdir(dir)).sort()).toEqual(["r-1.eml", "r-2.eml"]);
      const raw = await readFile(join(dir, "r-1.eml"), "utf8");
      expect(raw).toContain("\r\n");
      expect(parseMail(raw).headers.subject).toMatch(/^Reminder: First, again is due /);
      expect(parseMail(raw).headers.from).toBe("taskbeat <reminders@example.com>");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("keeps a message key from leaving the folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taskbeat-mail-"));
    try {
      await createFileMailer({ dir, from: FROM }).send(message("../../etc/passwd"));
      expect(await readdir(dir)).toEqual([".._.._etc_passwd.eml"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("configuration", () => {
  it("no SMTP_URL: files under TASKBEAT_HOME/mail; SMTP_URL: pooled SMTP with MAIL_FROM", async () => {
    const files = configureMailer(loadConfig({ TASKBEAT_HOME: "/tmp/tb-home" }));
    expect(files.description).toBe("files in /tmp/tb-home/mail");
    expect(files.from).toBe("taskbeat <taskbeat@localhost>");
    const smtpMailer = configureMailer(
      loadConfig({ SMTP_URL: "smtp://u:p@mail.example.com:587", MAIL_FROM: "Reminders <r@example.com>" }),
    );
    expect(getMailer()).toBe(smtpMailer);
    expect(smtpMailer.description).toBe("SMTP smtp://u@mail.example.com:587");
    expect(smtpMailer.from).toBe("Reminders <r@example.com>");
    await closeMailer();
    expect(getMailer().description).toMatch(/files in .*\.taskbeat\/mail$/);
  });

  it("rejects SMTP_URL without MAIL_FROM, and a URL that is not smtp:// or smtps://", () => {
    expect(() => configureMailer(loadConfig({ SMTP_URL: "smtp://mail.example.com" }))).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: "http://mail.example.com" })).toThrow(
      /SMTP_URL: must start with smtp/,
    );
    expect(() => loadConfig({ SMTP_URL: "not a url" })).toThrow(/SMTP_URL: must be a URL/);
  });
});
