/**
 * OAuth 2.1 for /mcp (functions/_shared/oauth): the discovery documents, and, unless OAUTH_SERVER=off,
 * the built-in authorization server with its sign-in page. Sign-in codes go out through the same mail
 * path as reminders (SMTP_URL, else .eml files under TASKBEAT_HOME/mail), opened on the first code.
 */
import { defineSetup } from "../../runtime/define.js";
import { type Mailer, mailerFromConfig } from "../_shared/mail/mailer.js";
import { mountOAuth } from "../_shared/oauth/routes.js";
import { configureOAuth, oauthSettings, oauthSettingsFrom } from "../_shared/oauth/settings.js";

let mailer: Mailer | undefined;

export default defineSetup({
  start: () => ({
    async stop() {
      await mailer?.close();
      mailer = undefined;
    },
  }),
  routes(app, { config, sql, log }) {
    const settings = oauthSettingsFrom(config);
    configureOAuth(settings);
    mountOAuth(app, {
      sql,
      settings,
      log: log.child({ component: "oauth" }),
      mailer: () => {
        mailer ??= mailerFromConfig(config, log);
        return mailer;
      },
    });
  },
  banner: () => {
    const settings = oauthSettings();
    return settings.builtIn
      ? [`  oauth     ${settings.issuer} (sign-in page; sign-up ${settings.signup})`]
      : [`  oauth     tokens from ${settings.externalIssuer ?? "no issuer"} (built-in server off)`];
  },
});
