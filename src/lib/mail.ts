// Outgoing mail behind one interface: logged locally (MAIL_PROVIDER=log), the send_email binding in production.
import type { Env } from "../env";
import { config } from "../config";
import { log } from "./logging";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface MailSender {
  send(mail: Mail): Promise<void>;
}

/** Local development: the mail (with its link) goes to the log, where the developer can read it. */
class LogMailSender implements MailSender {
  async send(mail: Mail): Promise<void> {
    log("info", "mail.sent (logged, not delivered)", { mail_to: mail.to, subject: mail.subject, body: mail.text });
  }
}

/** Production: Cloudflare Email Routing's `send_email` binding takes a raw MIME message. */
class SendEmailMailSender implements MailSender {
  constructor(
    private readonly binding: SendEmail,
    private readonly from: string,
  ) {}

  async send(mail: Mail): Promise<void> {
    const { EmailMessage } = await import("cloudflare:email");
    const raw = [
      `From: EdgeCoach <${this.from}>`,
      `To: <${mail.to}>`,
      `Subject: ${mail.subject.replace(/[\r\n]+/g, " ")}`,
      `Message-ID: <${crypto.randomUUID()}@${this.from.split("@")[1] ?? "edgecoach"}>`,
      `Date: ${new Date().toUTCString()}`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      mail.text,
    ].join("\r\n");
    await this.binding.send(new EmailMessage(this.from, mail.to, raw));
  }
}

export function mailSender(env: Env): MailSender {
  const cfg = config(env);
  if (cfg.mailProvider === "send-email") {
    if (!env.MAILER) throw new Error("MAIL_PROVIDER=send-email needs the MAILER send_email binding");
    return new SendEmailMailSender(env.MAILER, cfg.mailFrom);
  }
  return new LogMailSender();
}
