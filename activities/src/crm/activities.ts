import { ApplicationFailure } from '@temporalio/activity';
import {
  clientsRepo,
  documentsRepo,
  notificationsRepo,
  outboxRepo,
  quotesRepo,
  remindersRepo,
  tenantsRepo,
  usersRepo,
  withTenant,
  type Db,
  type DocumentStorage,
  type TenantTx,
} from '@vigie/db';
import { isPermanentFailure, type Mailer } from '../mail/mailer';
import { documentIdentity, quoteTemplateData, renderQuotePdfBytes } from './quote-pdf';

export interface CrmActivityDeps {
  db: Db;
  mailer: Mailer;
  storage: DocumentStorage;
}

export interface ReminderInput {
  tenantId: string;
  reminderId: string;
}

export type FireOutcome = { fired: false } | { fired: true; emailId: string | null };

/** Activities of CRM workflows. Idempotent by business keys (reminder id + occurrence, outbox id). */
export function createCrmActivities({ db, mailer, storage }: CrmActivityDeps) {
  /** The stored documents an e-mail carries; one that has disappeared fails the attempt (retried, then visible). */
  async function attachmentsOf(tx: TenantTx, ids: string[]) {
    const files = [];
    for (const id of ids) {
      const doc = await documentsRepo.findDocument(tx, id);
      const bytes = doc ? await storage.get(doc.storageKey) : undefined;
      if (!doc || !bytes) throw new Error(`attachment ${id} is missing`);
      files.push({ filename: doc.filename, contentType: doc.contentType, content: bytes });
    }
    return files;
  }

  return {
    /**
     * Notifies the owner in the app and queues an e-mail, once per occurrence. A reminder already done
     * or cancelled in the database (the source of truth) does not fire.
     */
    async fireReminder({ tenantId, reminderId, occurrence }: ReminderInput & { occurrence: number }): Promise<FireOutcome> {
      return withTenant(db, tenantId, async (tx) => {
        const reminder = await remindersRepo.findReminder(tx, reminderId);
        if (!reminder || reminder.status === 'done' || reminder.status === 'cancelled') return { fired: false };
        const owner = await usersRepo.findUserById(tx, reminder.ownerId);
        const key = `reminder:${reminderId}:${occurrence}`;
        const link = reminder.clientId ? `/crm/clients/${reminder.clientId}` : '/crm/pipeline';
        const first = await notificationsRepo.notify(tx, {
          tenantId,
          userId: reminder.ownerId,
          kind: 'reminder',
          title: reminder.title,
          body: reminder.note,
          link,
          sourceKey: key,
        });
        if (first) await remindersRepo.setReminder(tx, reminderId, { status: 'fired', fired: true });
        const emailId =
          owner && !owner.disabled
            ? await outboxRepo.enqueueEmail(tx, {
                tenantId,
                idempotencyKey: key,
                to: owner.email,
                subject: `Rappel : ${reminder.title}`,
                text: `${reminder.title}\n\n${reminder.note}\n\nÉchéance : ${reminder.dueAt}\n`,
              })
            : null;
        return { fired: true, emailId };
      });
    },

    /**
     * Renders the quote to PDF with Carbone and stores it as a client document. Reuses the stored PDF
     * while neither the quote nor the tenant's settings (identity, colour, logo: saving or removing the
     * logo touches the settings too) have changed since, so retries and repeated downloads render once.
     */
    async renderQuotePdf({ tenantId, quoteId }: { tenantId: string; quoteId: string }): Promise<{ documentId: string; rendered: boolean }> {
      const input = await withTenant(db, tenantId, async (tx) => {
        const quote = await quotesRepo.findQuote(tx, quoteId);
        if (!quote) throw ApplicationFailure.nonRetryable(`quote ${quoteId} not found`, 'QuoteNotFound');
        let settings = await tenantsRepo.getTenantSettings(tx, tenantId);
        if (quote.documentId && settings) {
          const doc = await documentsRepo.findDocument(tx, quote.documentId);
          if (doc && doc.createdAt >= quote.updatedAt && doc.createdAt >= settings.updatedAt) return { reuse: doc.id } as const;
        }
        if (!settings) {
          await tenantsRepo.ensureTenantSettings(tx, tenantId);
          settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
        }
        const client = (await clientsRepo.findClient(tx, quote.clientId))!;
        const logo = await tenantsRepo.getTenantLogo(tx, tenantId);
        return { reuse: undefined, quote, branding: { color: settings.branding.primaryColor, logo: logo?.bytes }, data: quoteTemplateData(quote, settings, client) };
      });
      if (input.reuse !== undefined) return { documentId: input.reuse, rendered: false };
      const bytes = await renderQuotePdfBytes(input.data, input.branding);
      const { id, sha256 } = documentIdentity(bytes);
      const storageKey = `${tenantId}/${id}`;
      await storage.put(storageKey, bytes);
      try {
        await withTenant(db, tenantId, async (tx) => {
          await documentsRepo.insertDocument(tx, {
            tenantId,
            id,
            clientId: input.quote.clientId,
            category: 'quote',
            filename: `${input.quote.number}.pdf`,
            contentType: 'application/pdf',
            sizeBytes: bytes.length,
            sha256,
            storageKey,
            uploadedBy: null,
          });
          await tx('quotes').where({ id: quoteId }).update({ document_id: id });
        });
      } catch (err) {
        await storage.delete(storageKey).catch(() => undefined);
        throw err;
      }
      return { documentId: id, rendered: true };
    },

    async expireReminder({ tenantId, reminderId }: ReminderInput): Promise<void> {
      await withTenant(db, tenantId, async (tx) => {
        const reminder = await remindersRepo.findReminder(tx, reminderId);
        if (reminder?.status === 'fired') await remindersRepo.setReminder(tx, reminderId, { status: 'expired' });
      });
    },

    /**
     * Sends a queued e-mail at most once: the row is locked and marked sent in the same transaction.
     * A failed attempt is counted (and its error kept) before the activity fails and Temporal retries.
     */
    async sendEmail({ tenantId, emailId }: { tenantId: string; emailId: string }): Promise<'sent' | 'already-sent' | 'bounced'> {
      if (!mailer.enabled) throw ApplicationFailure.retryable('no SMTP server configured (SMTP_URL); the e-mail waits in the outbox', 'MailerDisabled');
      const result = await withTenant(db, tenantId, async (tx) => {
        const email = await outboxRepo.lockEmail(tx, emailId);
        if (!email) throw ApplicationFailure.nonRetryable(`e-mail ${emailId} not found`, 'EmailNotFound');
        if (email.status === 'sent') return 'already-sent' as const;
        if (email.status === 'bounced') return 'bounced' as const;
        try {
          const { to, subject, text, messageId: ownId, inReplyTo, references, replyTo } = email;
          const attachments = await attachmentsOf(tx, email.attachmentDocumentIds);
          const messageId = await mailer.send({ to, subject, text, messageId: ownId, inReplyTo, references, replyTo, attachments });
          await outboxRepo.markEmailSent(tx, emailId, messageId);
          return 'sent' as const;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (isPermanentFailure(err)) {
            await outboxRepo.markEmailBounced(tx, emailId, message);
            return 'bounced' as const;
          }
          await outboxRepo.markEmailAttemptFailed(tx, emailId, message);
          return { failed: err };
        }
      });
      if (typeof result === 'object') throw result.failed;
      return result;
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;
