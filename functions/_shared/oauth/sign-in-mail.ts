/** The email carrying a sign-in code, sent through the same mailer as reminders (SMTP, or .eml files). */
import { randomUUID } from "node:crypto";
import { escapeHtml } from "../mail/compose.js";
import type { Mailer } from "../mail/mailer.js";

export async function sendSignInCode(
  mailer: Mailer,
  input: { to: string; code: string; clientName: string | null; signIn: boolean },
): Promise<void> {
  const id = randomUUID();
  const client = input.clientName ?? "an application";
  const text = input.signIn
    ? `Your taskbeat sign-in code is ${input.code}\n\nEnter it on the sign-in page to let ${client} use your account. It works once, for 10 minutes.\n\nIf you did not try to sign in, ignore this email: nothing happens without the code.\n`
    : `Someone tried to sign in to taskbeat with this address for ${client}, but there is no account for it and sign-up is closed.\n\nAsk the person who runs taskbeat to add you. If it was not you, ignore this email.\n`;
  const html = input.signIn
    ? `<p>Your taskbeat sign-in code is</p><p style="font-size:28px;font-weight:700;letter-spacing:.2em">${input.code}</p><p>Enter it on the sign-in page to let ${escapeHtml(client)} use your account. It works once, for 10 minutes.</p><p style="color:#5b6470">If you did not try to sign in, ignore this email: nothing happens without the code.</p>`
    : `<p>Someone tried to sign in to taskbeat with this address for ${escapeHtml(client)}, but there is no account for it and sign-up is closed.</p><p>Ask the person who runs taskbeat to add you. If it was not you, ignore this email.</p>`;
  await mailer.send({
    key: `sign-in-${id}`,
    from: mailer.from,
    to: { name: "", address: input.to },
    subject: input.signIn ? `${input.code} is your taskbeat sign-in code` : "taskbeat sign-in: no account",
    text,
    html,
    messageId: `<sign-in-${id}@taskbeat>`,
    headers: { "Auto-Submitted": "auto-generated" },
  });
}
