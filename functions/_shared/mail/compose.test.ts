import { describe, expect, it } from "vitest";
import { composeReminderMail, escapeHtml, formatDue, type ReminderMailInput } from "./compose.js";

const input = (over: Partial<ReminderMailInput["task"]> = {}, timeZone = "UTC"): ReminderMailInput => ({
  reminderId: "0b6a3c1e-4a6f-4f51-9d0c-3c0c2b2f8e11",
  from: "taskbeat <reminders@example.com>",
  to: { email: "ada@example.com", name: "Ada", timeZone },
  task: {
    id: "7d1f6a52-0a47-4a57-9a55-8a3f8f4c2d10",
    title: "Renew passport",
    description: null,
    priority: "urgent",
    dueAt: new Date("2026-03-29T08:30:00Z"),
    ...over,
  },
});

describe("composeReminderMail", () => {
  it("derives the Message-ID and the file key from the reminder id", () => {
    const mail = composeReminderMail(input());
    expect(mail.messageId).toBe("<reminder-0b6a3c1e-4a6f-4f51-9d0c-3c0c2b2f8e11@taskbeat>");
    expect(mail.key).toBe("0b6a3c1e-4a6f-4f51-9d0c-3c0c2b2f8e11");
    expect(mail.to).toEqual({ name: "Ada", address: "ada@example.com" });
    expect(mail.headers["X-Taskbeat-Reminder-Id"]).toBe(mail.key);
  });

  it("shows the due time in the recipient's zone, across the spring DST change in Berlin", () => {
    // 2026-03-29 is the night Berlin moves from CET (UTC+1) to CEST (UTC+2) at 01:00 UTC.
    expect(composeReminderMail(input({}, "Europe/Berlin")).subject).toBe(
      "Reminder: Renew passport is due Sun, Mar 29, 10:30 AM GMT+2",
    );
    const before = composeReminderMail(input({ dueAt: new Date("2026-03-28T08:30:00Z") }, "Europe/Berlin"));
    expect(before.subject).toBe("Reminder: Renew passport is due Sat, Mar 28, 9:30 AM GMT+1");
    expect(before.text).toContain("Saturday, March 28, 2026 at 9:30 AM GMT+1 (Europe/Berlin)");
  });

  it("a task without a due date says so, and the subject has no time", () => {
    const mail = composeReminderMail(input({ dueAt: null }));
    expect(mail.subject).toBe("Reminder: Renew passport");
    expect(mail.text).toContain("Due:       no due date");
  });

  it("escapes every value in the HTML and keeps the plain text as written", () => {
    const mail = composeReminderMail(
      input({ title: "<img src=x onerror=alert(1)>", description: "a & b\n'quoted'" }),
    );
    expect(mail.html).not.toContain("<img");
    expect(mail.html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(mail.html).toContain("a &#38; b<br>&#39;quoted&#39;");
    expect(mail.text).toContain("a & b\n'quoted'");
    expect(mail.html).toContain("Urgent");
  });

  it("puts a multi-line title on one subject line", () => {
    expect(composeReminderMail(input({ title: "a\r\nBcc: x@example.com" })).subject).toMatch(
      /^Reminder: a Bcc: x@example.com is due /,
    );
  });

  it("falls back to UTC for a zone Intl does not know", () => {
    expect(composeReminderMail(input({}, "Mars/Olympus_Mons")).text).toContain("(UTC)");
  });
});

describe("formatDue / escapeHtml", () => {
  it("short and long forms", () => {
    const at = new Date("2026-11-02T17:05:00Z");
    expect(formatDue(at, "America/New_York")).toBe("Mon, Nov 2, 12:05 PM EST");
    expect(formatDue(at, "Asia/Kolkata", "long")).toBe("Monday, November 2, 2026 at 10:35 PM GMT+5:30");
  });

  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
  });
});
