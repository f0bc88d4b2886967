import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Our own Message-ID (angle brackets included); absent → the mailer makes one. */
  messageId?: string | null;
  /** Threading: the Message-ID this mail answers, and the conversation's IDs separated by spaces. */
  inReplyTo?: string | null;
  references?: string | null;
  replyTo?: string | null;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
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
      const info = await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
        ...(mail.references ? { references: mail.references.split(/\s+/) } : {}),
        ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
        ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
      });
      return String(info.messageId);
    },
  };
}

/** A permanent refusal (SMTP 5xx, e.g. 550 no such mailbox): retrying cannot deliver it. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
