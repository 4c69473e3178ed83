/**
 * The process's mailer for the email group: SMTP_URL, else .eml files in TASKBEAT_HOME/mail. Opened before the
 * group serves (a bad SMTP_URL or MAIL_FROM stops the start), closed after the last delivery (pooled SMTP
 * connections end).
 */
import { defineSetup } from "../../runtime/define.js";
import { closeMailer, configureMailer, getMailer } from "../_shared/mail/mailer.js";

export default defineSetup({
  start({ config, log }) {
    const mailer = configureMailer(config, log);
    log.info("mail configured", { mail: mailer.description });
    return { stop: closeMailer };
  },
  banner: () => [`  mail      ${getMailer().description}`],
});
