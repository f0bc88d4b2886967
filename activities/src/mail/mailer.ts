import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** Sends one e-mail; returns the server's message id. Throws on failure (the activity retries). */
export interface Mailer {
  readonly enabled: boolean;
  send(mail: OutgoingMail): Promise<string>;
}

export function createMailer(smtpUrl: string | undefined, from: string): Mailer {
  if (!smtpUrl) {
    return {
      enabled: false,
      send: () => Promise.reject(new Error('no SMTP server configured (SMTP_URL)')),
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    enabled: true,
    async send(mail) {
      const info = await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
      return String(info.messageId);
    },
  };
}
