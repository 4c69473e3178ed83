/**
 * The HTTP face of OAuth on the backend group: discovery documents, registration, the authorization
 * endpoint and its sign-in pages, token and revocation. Mounted by functions/backend/oauth.setup.ts.
 *
 * Why hand-written endpoints on Hono rather than a library: `oidc-provider` (the best-reviewed Node
 * authorization server) is a Koa application with its own session, interaction and storage models and
 * signs JWTs with keys we would have to distribute to every replica; the MCP SDK's server-side helpers
 * (`@modelcontextprotocol/sdk/server/auth`) are Express routers around an in-memory provider. The
 * protocol parts we need are small and fixed (code + PKCE S256, refresh rotation, DCR, RFC 7009), so
 * they are written here against the SDK's own schemas (`shared/auth.js`: client metadata, server and
 * resource metadata types), with all state in PostgreSQL and only random opaque secrets (no crypto of our
 * own beyond SHA-256 digests and a constant-time compare). `jose` verifies the external issuer's JWTs.
 */
import type { Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { cors } from "hono/cors";
import type { Sql } from "postgres";
import type { Logger } from "../../../runtime/log.js";
import { authenticate as authenticatePersonalToken } from "../auth/tokens.js";
import type { Mailer } from "../mail/mailer.js";
import { authenticateClient, findClient, registerClient } from "./clients.js";
import { checkEmailCode, newEmailCode } from "./email-code.js";
import { OAuthProblem } from "./errors.js";
import { exchangeCode, issueCode, refreshGrant, revokeToken } from "./grants.js";
import { authorizationServerMetadata, paths, protectedResourceMetadata, SCOPE } from "./metadata.js";
import { isMetadataDocumentClientId, resolveMetadataDocumentClient } from "./metadata-document.js";
import { codePage, consentPage, emailPage, problemPage } from "./pages.js";
import { withinLimit } from "./rate-limit.js";
import { redirectUriMatches } from "./redirects.js";
import {
  type AuthorizationRequest,
  createRequest,
  findRequest,
  finishRequest,
  setSignedIn,
} from "./requests.js";
import { randomSecret } from "./secrets.js";
import type { OAuthSettings } from "./settings.js";
import { sendSignInCode } from "./sign-in-mail.js";
import { userById, userForEmail } from "./users.js";

export interface OAuthRoutesOptions {
  sql: Sql;
  settings: OAuthSettings;
  /** The mail path of sign-in codes (the reminders' one). */
  mailer: () => Mailer;
  log: Logger;
}

const BROWSER_COOKIE = "taskbeat_oauth";
const REGISTRATIONS_PER_HOUR = 1000;
const REQUESTS_PER_HOUR = 10_000;
const MAX_STATE = 1024;

export function mountOAuth(app: Hono, options: OAuthRoutesOptions): void {
  const { sql, settings, log } = options;
  // Discovery, registration, token and revocation are called by web clients' scripts: no cookies there.
  const open = cors({ origin: "*", allowMethods: ["GET", "POST", "OPTIONS"], maxAge: 3600 });
  const prm = (c: Context) => c.json(protectedResourceMetadata(settings));
  app.use("/.well-known/*", open);
  app.get("/.well-known/oauth-protected-resource", prm);
  app.get("/.well-known/oauth-protected-resource/mcp", prm);
  if (!settings.builtIn) return;

  app.get("/.well-known/oauth-authorization-server", (c) => c.json(authorizationServerMetadata(settings)));
  for (const path of [paths.register, paths.token, paths.revoke]) app.use(path, open);

  app.post(paths.register, (c) =>
    answerJson(c, log, async () => {
      if (!(await withinLimit(sql, "register", REGISTRATIONS_PER_HOUR, 3600)))
        throw new OAuthProblem("slow_down", "Too many registrations; try again later.", 429);
      const body = await c.req.json().catch(() => {
        throw new OAuthProblem(
          "invalid_client_metadata",
          "The body must be a JSON object of client metadata.",
        );
      });
      return { status: 201, body: await registerClient(sql, body) };
    }),
  );

  app.post(paths.token, (c) =>
    answerJson(c, log, async () => {
      const form = await formOf(c);
      const client = await authenticateClient(sql, form, c.req.header("authorization"));
      if (form.grant_type === "authorization_code")
        return { status: 200, body: await exchangeCode(sql, client, form, settings) };
      if (form.grant_type === "refresh_token")
        return { status: 200, body: await refreshGrant(sql, client, form, settings) };
      throw new OAuthProblem(
        form.grant_type ? "unsupported_grant_type" : "invalid_request",
        "grant_type must be authorization_code or refresh_token.",
      );
    }),
  );

  app.post(paths.revoke, (c) =>
    answerJson(c, log, async () => {
      const form = await formOf(c);
      const client = await authenticateClient(sql, form, c.req.header("authorization"));
      if (!form.token) throw new OAuthProblem("invalid_request", "token is missing.");
      await revokeToken(sql, client, form.token);
      return { status: 200, body: {} };
    }),
  );

  app.get(paths.authorize, async (c) => {
    const query = c.req.query();
    const clientId = query.client_id ?? "";
    // Until the client and its redirect URI are known good, errors are shown here, never redirected.
    let client = isMetadataDocumentClientId(clientId) ? undefined : await findClient(sql, clientId);
    if (isMetadataDocumentClientId(clientId)) {
      try {
        client = await resolveMetadataDocumentClient(sql, clientId, settings);
      } catch (error) {
        const message =
          error instanceof OAuthProblem
            ? error.description
            : "The client metadata document could not be read.";
        return c.html(problemPage("This application cannot sign in", message), 400);
      }
    }
    if (!client)
      return c.html(
        problemPage("Unknown application", "This application is not registered with taskbeat."),
        400,
      );
    const redirectUri =
      query.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri || !redirectUriMatches(client.redirectUris, redirectUri))
      return c.html(
        problemPage(
          "Wrong return address",
          "The application asked to send you back to an address it did not register.",
        ),
        400,
      );
    const back = (error: string, description: string) =>
      c.redirect(
        callbackUrl(redirectUri, {
          error,
          error_description: description,
          state: query.state,
          iss: settings.issuer,
        }),
        303,
      );
    if (query.response_type !== "code")
      return back("unsupported_response_type", "response_type must be code.");
    if (!query.state) return back("invalid_request", "state is required.");
    if (query.state.length > MAX_STATE)
      return back("invalid_request", `state is longer than ${MAX_STATE} characters.`);
    if (!query.code_challenge || !/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge))
      return back("invalid_request", "code_challenge (PKCE, S256) is required.");
    if (query.code_challenge_method !== "S256")
      return back("invalid_request", "code_challenge_method must be S256.");
    const resource = query.resource ?? settings.resource;
    if (resource !== settings.resource)
      return back("invalid_target", `This server issues tokens for ${settings.resource} only.`);
    // Anyone can start a sign-in, so their number is bounded: each is a row until it expires.
    if (!(await withinLimit(sql, "authorize", REQUESTS_PER_HOUR, 3600)))
      return c.html(
        problemPage("Too many sign-ins", "Too many sign-ins were started just now. Try again later."),
        429,
      );
    let browser = getCookie(c, BROWSER_COOKIE);
    if (!browser || !/^[A-Za-z0-9_-]{43}$/.test(browser)) {
      browser = randomSecret();
      setCookie(c, BROWSER_COOKIE, browser, {
        path: "/oauth",
        httpOnly: true,
        sameSite: "Lax",
        secure: settings.publicUrl.startsWith("https:"),
        maxAge: 24 * 3600,
      });
    }
    const id = await createRequest(sql, browser, {
      clientId: client.clientId,
      redirectUri,
      state: query.state,
      codeChallenge: query.code_challenge,
      resource,
      // One scope covers every tool; whatever else was asked for is not granted.
      scope: SCOPE,
    });
    return c.redirect(`${paths.signIn}?request=${encodeURIComponent(id)}`, 303);
  });

  /** Loads the request a page or form is about, or answers the page explaining why not. */
  const withRequest = async (
    c: Context,
    id: string | undefined,
    csrf: string | undefined | false,
    next: (request: AuthorizationRequest) => Promise<Response>,
  ): Promise<Response> => {
    secureHeaders(c);
    const lookup = await findRequest(sql, id ?? "", getCookie(c, BROWSER_COOKIE));
    if ("missing" in lookup) {
      const [title, message] = MISSING[lookup.missing];
      return c.html(problemPage(title, message), 400);
    }
    if (csrf !== false && csrf !== lookup.found.csrf)
      return c.html(
        problemPage("Please try again", "This form is out of date. Reload the page and try again."),
        403,
      );
    return next(lookup.found);
  };

  app.get(paths.signIn, (c) =>
    withRequest(c, c.req.query("request"), false, async (request) => {
      if (request.userId)
        return c.redirect(`${paths.consent}?request=${encodeURIComponent(request.id)}`, 303);
      if (request.codePending && request.email && c.req.query("change") === undefined)
        return c.html(codePage(request, {}));
      return c.html(emailPage(request, { allowToken: !settings.production, email: request.email ?? "" }));
    }),
  );

  app.post(`${paths.signIn}/email`, async (c) => {
    const form = await pageForm(c);
    return withRequest(c, form.request, form.csrf, async (request) => {
      const email = (form.email ?? "").trim().toLowerCase();
      // The users table's own rule: `you@localhost`, the local user, is an address too.
      if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email))
        return c.html(
          emailPage(request, {
            error: "Enter an email address like name@example.com.",
            allowToken: !settings.production,
            email,
          }),
          400,
        );
      const sent = await newEmailCode(sql, request.id, email);
      if ("refused" in sent)
        return c.html(
          emailPage(request, { error: sent.refused, allowToken: !settings.production, email }),
          429,
        );
      // Whether the address has an account is not shown here; the mail itself says so.
      const known = settings.signup === "open" || (await userForEmail(sql, email, "closed")) !== undefined;
      try {
        await sendSignInCode(options.mailer(), {
          to: email,
          code: sent.code,
          clientName: request.clientName,
          signIn: known,
        });
      } catch (error) {
        log.warn("sign-in code mail failed", { error });
        return c.html(
          emailPage(request, {
            error: "We could not send the email just now. Try again in a minute.",
            allowToken: !settings.production,
            email,
          }),
          503,
        );
      }
      return c.redirect(`${paths.signIn}?request=${encodeURIComponent(request.id)}`, 303);
    });
  });

  app.post(`${paths.signIn}/code`, async (c) => {
    const form = await pageForm(c);
    return withRequest(c, form.request, form.csrf, async (request) => {
      const checked = await checkEmailCode(sql, request.id, form.code ?? "");
      if ("wrong" in checked)
        return c.html(
          codePage(request, {
            error: `That code is not right. ${checked.wrong} ${checked.wrong === 1 ? "try" : "tries"} left.`,
          }),
          400,
        );
      if ("spent" in checked) {
        const reason =
          checked.spent === "expired"
            ? "That code has expired."
            : checked.spent === "tries"
              ? "Too many wrong codes."
              : "There is no code to check.";
        return c.html(
          emailPage(request, {
            error: `${reason} Send a new code.`,
            allowToken: !settings.production,
            email: request.email ?? "",
          }),
          400,
        );
      }
      const user = await userForEmail(sql, checked.email, settings.signup);
      if (!user)
        return c.html(
          problemPage(
            "No account for this address",
            "Sign-up is closed here. Ask the person who runs taskbeat to add you.",
          ),
          403,
        );
      await setSignedIn(sql, request.id, user.id);
      return c.redirect(`${paths.consent}?request=${encodeURIComponent(request.id)}`, 303);
    });
  });

  app.post(`${paths.signIn}/token`, async (c) => {
    const form = await pageForm(c);
    return withRequest(c, form.request, form.csrf, async (request) => {
      if (settings.production)
        return c.html(problemPage("Not available", "Personal tokens cannot be used to sign in here."), 403);
      if (!(await withinLimit(sql, `token-sign-in:${request.id}`, 5, 600)))
        return c.html(
          emailPage(request, { error: "Too many tries; sign in by email.", allowToken: false }),
          429,
        );
      const user = await authenticatePersonalToken(sql, (form.token ?? "").trim());
      if (!user)
        return c.html(
          emailPage(request, { error: "That token is unknown or revoked.", allowToken: true }),
          400,
        );
      await setSignedIn(sql, request.id, user.id);
      return c.redirect(`${paths.consent}?request=${encodeURIComponent(request.id)}`, 303);
    });
  });

  app.get(paths.consent, (c) =>
    withRequest(c, c.req.query("request"), false, async (request) => {
      const user = request.userId ? await userById(sql, request.userId) : undefined;
      if (!user) return c.redirect(`${paths.signIn}?request=${encodeURIComponent(request.id)}`, 303);
      return c.html(consentPage(request, user.email));
    }),
  );

  app.post(paths.consent, async (c) => {
    const form = await pageForm(c);
    return withRequest(c, form.request, form.csrf, async (request) => {
      if (!request.userId)
        return c.redirect(`${paths.signIn}?request=${encodeURIComponent(request.id)}`, 303);
      if (!(await finishRequest(sql, request.id)))
        return c.html(
          problemPage("Already answered", "This request was already answered in another tab."),
          400,
        );
      const base = { state: request.state, iss: settings.issuer };
      if (form.decision !== "allow")
        return c.redirect(
          callbackUrl(request.redirectUri, {
            ...base,
            error: "access_denied",
            error_description: "The person denied access.",
          }),
          303,
        );
      const code = await issueCode(sql, {
        clientId: request.clientId,
        userId: request.userId,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        resource: request.resource,
        scope: request.scope,
      });
      return c.redirect(callbackUrl(request.redirectUri, { ...base, code }), 303);
    });
  });
}

const MISSING: Record<"unknown" | "expired" | "finished" | "other_browser", [string, string]> = {
  unknown: ["Sign-in not found", "This sign-in link is not valid."],
  expired: ["Sign-in expired", "This sign-in took too long and has expired."],
  finished: ["Already done", "This sign-in is finished; you can close this page."],
  other_browser: [
    "Open this in the same browser",
    "This sign-in was started in another browser (or its cookie was cleared), so it cannot continue here.",
  ],
};

/** The client's redirect URI with the answer added to its query (its own parameters are kept). */
function callbackUrl(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

function secureHeaders(c: Context): void {
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
  // No form-action: the consent answer redirects to the client, which form-action would block.
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  );
}

async function formOf(c: Context): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded"))
    throw new OAuthProblem("invalid_request", "Send the parameters as application/x-www-form-urlencoded.");
  const params = new URLSearchParams(await c.req.text());
  const form: Record<string, string> = {};
  for (const [name, value] of params) {
    // RFC 6749 §3.1: a parameter sent twice is an error, not a choice.
    if (name in form) throw new OAuthProblem("invalid_request", `${name} was sent more than once.`);
    form[name] = value;
  }
  return form;
}

/** A page form's fields; a malformed body yields none, so the CSRF check refuses it with a page. */
const pageForm = (c: Context) => formOf(c).catch((): Record<string, string> => ({}));

async function answerJson(
  c: Context,
  log: Logger,
  work: () => Promise<{ status: 200 | 201; body: unknown }>,
): Promise<Response> {
  c.header("Cache-Control", "no-store");
  try {
    const { status, body } = await work();
    return c.json(body as object, status);
  } catch (error) {
    if (error instanceof OAuthProblem) {
      if (error.code === "invalid_client" && c.req.header("authorization")?.startsWith("Basic"))
        c.header("WWW-Authenticate", 'Basic realm="taskbeat"');
      return c.json(error.toJSON(), error.status);
    }
    log.error("oauth endpoint failed", { error, path: c.req.path });
    return c.json({ error: "server_error", error_description: "Something went wrong; try again." }, 500);
  }
}
