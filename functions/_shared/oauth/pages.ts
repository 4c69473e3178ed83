/**
 * The sign-in pages: plain HTML forms that work without JavaScript, styled inline (no asset route, no
 * external fetch). Every value shown is escaped; every form carries the request id and its CSRF token.
 */
import { escapeHtml as e } from "../mail/compose.js";
import type { AuthorizationRequest } from "./requests.js";

const STYLE = `
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--ink:#1b1f24;--muted:#5b6470;--line:#d9dde3;
--brand:#4f46e5;--brand-ink:#fff;--warn-bg:#fff7e6;--warn-ink:#8a5300;--err-bg:#fdecec;--err-ink:#a61b1b}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f24;--ink:#e8eaed;--muted:#a0a8b3;
--line:#313842;--warn-bg:#2f2614;--warn-ink:#f3c26b;--err-bg:#3a1717;--err-ink:#ff9b9b}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px;
background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:420px;background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:32px;box-shadow:0 10px 30px rgba(0,0,0,.06)}
.brand{display:flex;align-items:center;gap:10px;font-weight:650;font-size:18px;margin-bottom:24px}
.mark{width:28px;height:28px;border-radius:8px;background:var(--brand);color:var(--brand-ink);display:grid;
place-items:center;font-size:15px}
h1{font-size:22px;line-height:1.3;margin:0 0 8px}
p{margin:0 0 16px;color:var(--muted)}
label{display:block;font-weight:600;margin:16px 0 6px}
input{width:100%;font:inherit;padding:11px 12px;border:1px solid var(--line);border-radius:9px;
background:transparent;color:var(--ink)}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--brand);outline-offset:2px}
input.code{font-size:24px;letter-spacing:.3em;text-align:center;font-variant-numeric:tabular-nums}
button{font:inherit;font-weight:600;width:100%;padding:11px 14px;border-radius:9px;border:1px solid transparent;
cursor:pointer;margin-top:18px}
.primary{background:var(--brand);color:var(--brand-ink)}
.secondary{background:transparent;color:var(--ink);border-color:var(--line)}
.row{display:flex;gap:12px}.row form{flex:1}
.note{font-size:14px;margin-top:20px}
.alert{padding:10px 12px;border-radius:9px;margin:0 0 16px;font-size:15px}
.alert.error{background:var(--err-bg);color:var(--err-ink)}
.alert.warn{background:var(--warn-bg);color:var(--warn-ink)}
.client{border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:0 0 16px}
.client strong{display:block;font-size:17px}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:2px 8px;border-radius:99px;
background:var(--warn-bg);color:var(--warn-ink);margin-left:6px;vertical-align:2px}
ul{margin:0 0 8px;padding-left:20px}li{margin:4px 0}
details{margin-top:20px;border-top:1px solid var(--line);padding-top:16px}
summary{cursor:pointer;color:var(--muted)}
a{color:var(--brand)}
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${e(title)} · taskbeat</title><style>${STYLE}</style></head>
<body><main><div class="brand"><span class="mark" aria-hidden="true">✓</span>taskbeat</div>
${body}</main></body></html>`;
}

const hidden = (request: AuthorizationRequest) =>
  `<input type="hidden" name="request" value="${e(request.id)}"><input type="hidden" name="csrf" value="${e(request.csrf)}">`;

const alert = (message: string | undefined, kind: "error" | "warn" = "error") =>
  message ? `<p class="alert ${kind}" role="alert">${e(message)}</p>` : "";

const clientLabel = (request: AuthorizationRequest) => request.clientName ?? "An unnamed application";

export function emailPage(
  request: AuthorizationRequest,
  options: { error?: string; allowToken: boolean; email?: string },
): string {
  const token = options.allowToken
    ? `<details><summary>Sign in with a personal token instead</summary>
<form method="post" action="/oauth/sign-in/token">${hidden(request)}
<label for="token">Personal token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required placeholder="tb_…">
<button class="secondary" type="submit">Sign in with token</button></form>
<p class="note">Print one with <code>taskbeat users token &lt;email&gt;</code>.</p></details>`
    : "";
  return page(
    "Sign in",
    `<h1>Sign in to continue</h1>
<p>${e(clientLabel(request))} wants to use your taskbeat account. We will email you a code.</p>
${alert(options.error)}
<form method="post" action="/oauth/sign-in/email">${hidden(request)}
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="${e(options.email ?? "")}">
<button class="primary" type="submit">Email me a code</button></form>${token}`,
  );
}

export function codePage(request: AuthorizationRequest, options: { error?: string }): string {
  return page(
    "Enter your code",
    `<h1>Check your email</h1>
<p>We sent a 6-digit code to <strong>${e(request.email ?? "")}</strong>. It works once, for 10 minutes.</p>
${alert(options.error)}
<form method="post" action="/oauth/sign-in/code">${hidden(request)}
<label for="code">Sign-in code</label>
<input id="code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
 pattern="[0-9 ]{6,8}" maxlength="8" required autofocus>
<button class="primary" type="submit">Continue</button></form>
<p class="note">No email? Check your spam folder, or
<a href="/oauth/sign-in?request=${encodeURIComponent(request.id)}&amp;change=1">use a different address</a>.</p>`,
  );
}

export function consentPage(request: AuthorizationRequest, email: string): string {
  const redirect = new URL(request.redirectUri);
  const where =
    redirect.protocol === "http:" || redirect.protocol === "https:" ? redirect.host : redirect.protocol;
  return page(
    "Allow access",
    `<h1>Allow access to your tasks?</h1>
<div class="client"><strong>${e(clientLabel(request))}<span class="badge">unverified</span></strong>
The name is the application's own claim; taskbeat has not checked it.</div>
<p>If you allow it, this application can, as <strong>${e(email)}</strong>:</p>
<ul><li>read your tasks, categories, tags, reminders and settings</li>
<li>create, change, complete and delete them</li></ul>
<p>You will be sent back to <strong>${e(where)}</strong>.</p>
<div class="row">
<form method="post" action="/oauth/consent">${hidden(request)}<input type="hidden" name="decision" value="deny">
<button class="secondary" type="submit">Deny</button></form>
<form method="post" action="/oauth/consent">${hidden(request)}<input type="hidden" name="decision" value="allow">
<button class="primary" type="submit">Allow</button></form></div>`,
  );
}

export function problemPage(title: string, message: string): string {
  return page(
    title,
    `<h1>${e(title)}</h1><p>${e(message)}</p>
<p class="note">Go back to your assistant and connect taskbeat again.</p>`,
  );
}
