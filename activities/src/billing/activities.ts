import { ApplicationFailure } from '@temporalio/activity';
import { AppError, checkRunPeriodStart, localDateIn, runPeriodContaining, type BillingFrequency, type DunningKind, type DunningStep, type LocalDate, type RunPeriod } from '@vigie/core';
import {
  billingGeneration,
  billingRunsRepo,
  billingSettingsRepo,
  documentsRepo,
  invoiceDrafts,
  invoiceIssue,
  invoicesRepo,
  outboxRepo,
  tenantsRepo,
  withTenant,
  type Db,
  type DocumentStorage,
  type TenantTx,
} from '@vigie/db';
import { documentIdentity } from '../crm/quote-pdf';
import { checkInvoiceTemplate, renderInvoicePdfBytes, sampleInvoiceDocument } from './invoice-pdf';
import { invoiceEmail, type InvoiceEmailKind } from './invoice-email';

export interface BillingActivityDeps {
  db: Db;
  storage: DocumentStorage;
  /** Makes (or finds) the online payment link of an invoice for its balance; absent: no online payment. */
  paymentLink?: (tenantId: string, invoiceId: string) => Promise<string | null>;
}

interface InvoiceRef {
  tenantId: string;
  invoiceId: string;
}

export interface DunningPlan {
  kind: 'invoice' | 'credit_note';
  dueDate: LocalDate;
  timezone: string;
  steps: DunningStep[];
  sentKinds: DunningKind[];
  today: LocalDate;
  paid: boolean;
}

async function issuedOr404(tx: TenantTx, invoiceId: string, lock = false) {
  const row = await invoicesRepo.findInvoiceRow(tx, invoiceId, { lock });
  if (!row || !row.document) throw ApplicationFailure.nonRetryable(`issued invoice ${invoiceId} not found`, 'InvoiceNotFound');
  return row as typeof row & { document: NonNullable<typeof row.document> };
}


/** Activities of the invoice workflow. Each is idempotent: a retry finds its work done and does nothing more. */
export function createBillingActivities({ db, storage, paymentLink }: BillingActivityDeps) {
  return {
    /** Renders the frozen document to a Factur-X PDF and stores it as a client document, once. */
    async renderInvoicePdf({ tenantId, invoiceId }: InvoiceRef): Promise<{ documentId: string }> {
      const input = await withTenant(db, tenantId, async (tx) => {
        const row = await issuedOr404(tx, invoiceId);
        if (row.pdf_document_id) return { done: row.pdf_document_id };
        const settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
        const billing = await billingSettingsRepo.getBillingSettings(tx);
        const logo = await tenantsRepo.getTenantLogo(tx, tenantId);
        const template = await billingSettingsRepo.getInvoiceTemplate(tx);
        return { row, look: { color: settings.branding.primaryColor, logo: logo?.bytes, footer: billing.footer, locale: settings.locale, template } };
      });
      if (!('row' in input) || !input.row) return { documentId: String(input.done) };
      const bytes = await renderInvoicePdfBytes(input.row.document, input.look);
      const { id, sha256 } = documentIdentity(bytes);
      const storageKey = `${tenantId}/${id}`;
      await storage.put(storageKey, bytes);
      try {
        return await withTenant(db, tenantId, async (tx) => {
          const row = await issuedOr404(tx, invoiceId, true);
          if (row.pdf_document_id) return { documentId: row.pdf_document_id };
          await documentsRepo.insertDocument(tx, {
            tenantId,
            id,
            clientId: row.client_id,
            category: 'invoice',
            filename: `${row.number}.pdf`,
            contentType: 'application/pdf',
            sizeBytes: bytes.length,
            sha256,
            storageKey,
            uploadedBy: null,
          });
          await invoicesRepo.setInvoiceState(tx, invoiceId, { pdfDocumentId: id });
          return { documentId: id };
        });
      } catch (err) {
        await storage.delete(storageKey).catch(() => undefined);
        throw err;
      }
    },

    /**
     * Queues the invoice e-mail (with its PDF) or a dunning step, once per kind, and records it in the
     * history. A dunning step for an invoice settled meanwhile sends nothing and says so.
     */
    async sendInvoiceEmail({ tenantId, invoiceId, kind }: InvoiceRef & { kind: InvoiceEmailKind }): Promise<{ emailIds: string[]; settled: boolean }> {
      // The link goes in the e-mail; a payment provider that is down must not hold the invoice back.
      await paymentLink?.(tenantId, invoiceId).catch(() => null);
      return withTenant(db, tenantId, async (tx) => {
        const row = await issuedOr404(tx, invoiceId, true);
        if (kind !== 'invoice' && invoicesRepo.isSettled(row)) return { emailIds: [], settled: true };
        const settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
        const to = row.document.buyer.email;
        const stepKey = `email:${kind}`;
        const eventKind = kind === 'invoice' ? 'sent' : 'dunning';
        let emailId: string | null = null;
        if (to) {
          const mail = invoiceEmail(kind, row.document, { tenantName: settings.legal.legalName || settings.name, paymentUrl: row.payment_url, balanceCents: invoicesRepo.owedCents(row) });
          emailId = await outboxRepo.enqueueEmail(tx, {
            tenantId,
            idempotencyKey: `invoice:${invoiceId}:${kind}`,
            to,
            subject: mail.subject,
            text: mail.text,
            invoice: { id: invoiceId, attachmentDocumentIds: row.pdf_document_id ? [row.pdf_document_id] : [] },
          });
        }
        const first = await invoicesRepo.insertEvent(tx, {
          tenantId,
          invoiceId,
          kind: eventKind,
          detail: { level: kind, to: to || null, ...(to ? {} : { skipped: 'the client has no contact with an e-mail address' }) },
          emailId,
          stepKey,
        });
        if (first) {
          if (kind === 'invoice') await invoicesRepo.setInvoiceState(tx, invoiceId, { ...(row.status === 'validated' ? { status: 'sent' as const } : {}), sentAt: true });
          else await invoicesRepo.setInvoiceState(tx, invoiceId, { dunningLevel: kind });
        }
        return { emailIds: first && emailId ? [emailId] : [], settled: false };
      });
    },

    /** What the dunning needs: due date, the tenant's steps and zone, the steps already sent, today. */
    async loadDunningPlan({ tenantId, invoiceId }: InvoiceRef): Promise<DunningPlan> {
      return withTenant(db, tenantId, async (tx) => {
        const row = await issuedOr404(tx, invoiceId);
        const settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
        const billing = await billingSettingsRepo.getBillingSettings(tx);
        const sent = (await invoicesRepo.sentDunningKinds(tx, invoiceId)) as DunningKind[];
        return {
          kind: row.kind,
          dueDate: row.due_date!,
          timezone: settings.timezone,
          steps: billing.dunningSteps,
          sentKinds: sent.filter((k) => billing.dunningSteps.some((s) => s.kind === k)),
          today: localDateIn(Date.now(), settings.timezone),
          paid: invoicesRepo.isSettled(row),
        };
      });
    },

    /** Overdue or unpaid, unless it was settled meanwhile (then false: the workflow ends as paid). */
    async markInvoice({ tenantId, invoiceId, status }: InvoiceRef & { status: 'overdue' | 'unpaid' }): Promise<boolean> {
      return withTenant(db, tenantId, async (tx) => {
        const row = await issuedOr404(tx, invoiceId, true);
        if (invoicesRepo.isSettled(row)) return false;
        if (row.status !== status) {
          await invoicesRepo.setInvoiceState(tx, invoiceId, { status });
          await invoicesRepo.insertEvent(tx, { tenantId, invoiceId, kind: status, detail: { balanceCents: invoicesRepo.owedCents(row) }, stepKey: status });
        }
        return true;
      });
    },

    /**
     * The sample invoice in the tenant's look, with an uploaded template (checked first: a template that
     * cannot render is refused with the reason) or its current one. Returns the PDF as base64.
     */
    async previewInvoicePdf({ tenantId, templateBase64 }: { tenantId: string; templateBase64: string | null }): Promise<string> {
      const look = await withTenant(db, tenantId, async (tx) => {
        await tenantsRepo.ensureTenantSettings(tx, tenantId);
        const settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
        const billing = await billingSettingsRepo.getBillingSettings(tx);
        const logo = await tenantsRepo.getTenantLogo(tx, tenantId);
        const template = templateBase64 === null ? await billingSettingsRepo.getInvoiceTemplate(tx) : Buffer.from(templateBase64, 'base64');
        return { color: settings.branding.primaryColor, logo: logo?.bytes, footer: billing.footer, locale: settings.locale, template };
      });
      if (templateBase64 !== null) {
        try {
          await checkInvoiceTemplate(look.template!);
        } catch (err) {
          throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'InvalidTemplate');
        }
      }
      return (await renderInvoicePdfBytes(sampleInvoiceDocument(), look)).toString('base64');
    },

    /** The run row of the period (created once); a scheduled run takes the period containing today. */
    async openBillingRun(input: { tenantId: string; frequency: BillingFrequency; periodStart: LocalDate | null }): Promise<{ runId: string; period: RunPeriod; autoValidate: boolean }> {
      return withTenant(db, input.tenantId, async (tx) => {
        const settings = (await tenantsRepo.getTenantSettings(tx, input.tenantId))!;
        let period: RunPeriod;
        try {
          period = input.periodStart ? checkRunPeriodStart(input.frequency, input.periodStart) : runPeriodContaining(input.frequency, localDateIn(Date.now(), settings.timezone));
        } catch (err) {
          throw ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'InvalidPeriod');
        }
        const run = await billingRunsRepo.claimRun(tx, input.tenantId, input.frequency, period.start, period.end);
        const billing = await billingSettingsRepo.getBillingSettings(tx);
        return { runId: run.id, period, autoValidate: billing.autoValidate };
      });
    },

    /** Every draft of the period, in one transaction: subscriptions, packs sold, pending ticket time. */
    async draftRunInvoices(input: { tenantId: string; runId: string; frequency: BillingFrequency; period: RunPeriod }): Promise<string[]> {
      return withTenant(db, input.tenantId, async (tx) => {
        const ref = { tenantId: input.tenantId, runId: input.runId, frequency: input.frequency, period: input.period };
        await billingGeneration.subscriptionDrafts(tx, ref);
        await billingGeneration.hourBlockDrafts(tx, ref);
        await invoiceDrafts.draftsFromPreBilling(tx, input.tenantId, { actorId: null, billingRunId: input.runId, sourceKeyPrefix: `run:${input.runId}:pre-billing` });
        // Also the drafts a previous attempt of this run made (an activity retried after its commit).
        const rows = (await tx('invoices').where({ billing_run_id: input.runId, status: 'draft' }).orderBy('created_at').select('id')) as { id: string }[];
        return rows.map((r) => r.id);
      });
    },

    /** Validates one draft of a run; a refusal (missing legal details) leaves it a draft, with the reason. */
    async validateRunInvoice({ tenantId, invoiceId }: InvoiceRef): Promise<{ ok: true; number: string } | { ok: false; reason: string }> {
      try {
        return await withTenant(db, tenantId, async (tx) => {
          const row = await invoicesRepo.findInvoiceRow(tx, invoiceId);
          if (row?.number) return { ok: true as const, number: row.number };
          const issued = await invoiceIssue.issueInvoice(tx, tenantId, invoiceId, null);
          return { ok: true as const, number: issued.number };
        });
      } catch (err) {
        if (err instanceof AppError) return { ok: false, reason: err.message };
        throw err;
      }
    },

    async closeBillingRun(input: { tenantId: string; runId: string; status: 'done' | 'failed'; error: string | null }): Promise<void> {
      await withTenant(db, input.tenantId, (tx) => billingRunsRepo.finishRun(tx, input.runId, { status: input.status, ...(input.error ? { error: input.error } : {}) }));
    },
  };
}

export type BillingActivities = ReturnType<typeof createBillingActivities>;
