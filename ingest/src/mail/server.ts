import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { ticketMailTemplatesRepo } from '@vigie/db';
import { deliverMail, type DeliveryOutcome, type MailDeps } from './inbound';
import { readMessage } from './message';

export interface InboundMailServer {
  /** The port it listens on (useful when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/** An SMTP reply: 550 refuses for good, 451 asks the sending server to try again later. */
function smtpError(code: 451 | 550 | 552, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * The tickets-by-e-mail SMTP server the ingest runs. Each recipient must be a tenant's support address
 * (550 otherwise, before any data is read); each message is then delivered to each tenant it names. A
 * failure answers 451, so the sending server retries; Message-IDs make the retry harmless.
 *
 * No TLS and no AUTH here: it listens on loopback by default, behind the organisation's MX (Postfix,
 * a cloud relay) that does TLS, spam filtering and SPF/DKIM checks and relays to it.
 */
export async function startInboundMailServer(
  deps: MailDeps & { host: string; port: number; maxMessageBytes: number; onDelivered?: (outcome: DeliveryOutcome, tenantId: string) => void },
): Promise<InboundMailServer> {
  const tenantOf = (address: string) => ticketMailTemplatesRepo.findTenantBySupportAddress(deps.db, address.toLowerCase());

  const server = new SMTPServer({
    name: 'vigie',
    banner: 'Vigie tickets',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: deps.maxMessageBytes,
    maxClients: 100,
    logger: false,
    onRcptTo(address, _session, callback) {
      tenantOf(address.address).then(
        (tenantId) => callback(tenantId ? null : smtpError(550, `5.1.1 <${address.address}>: no such mailbox`)),
        (err: unknown) => {
          deps.log.error({ err, to: address.address }, 'inbound mail: tenant lookup failed');
          callback(smtpError(451, '4.3.0 temporary failure, try again later'));
        },
      );
    },
    onData(stream, session: SMTPServerSession, callback) {
      readAll(stream)
        .then(async (raw) => {
          if (stream.sizeExceeded) throw smtpError(552, `5.3.4 message larger than ${deps.maxMessageBytes} bytes`);
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : false;
          const msg = readMessage(await simpleParser(raw), raw, envelopeFrom);
          const tenants = new Set<string>();
          for (const rcpt of session.envelope.rcptTo) {
            const tenantId = await tenantOf(rcpt.address);
            if (tenantId) tenants.add(tenantId);
          }
          for (const tenantId of tenants) {
            const outcome = await deliverMail(deps, tenantId, msg);
            deps.log.info({ tenantId, messageId: msg.messageId, from: msg.from.address, ...outcome }, 'inbound mail');
            deps.onDelivered?.(outcome, tenantId);
          }
        })
        .then(
          () => callback(),
          (err: unknown) => {
            if (err instanceof Error && 'responseCode' in err) return callback(err);
            deps.log.error({ err }, 'inbound mail: delivery failed; the sender will retry');
            callback(smtpError(451, '4.3.0 temporary failure, try again later'));
          },
        );
    },
  });
  server.on('error', (err) => deps.log.error({ err }, 'inbound mail server error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
