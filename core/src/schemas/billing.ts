import { z } from 'zod';
import { listQuerySchema } from './common';

export const INVOICE_STATUSES = ['draft', 'validated', 'sent', 'paid', 'overdue', 'unpaid'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const INVOICE_KINDS = ['invoice', 'credit_note'] as const;
export const INVOICE_SOURCES = ['manual', 'pre_billing', 'subscription', 'hour_block', 'credit_note'] as const;
export const VAT_EXEMPTIONS = ['franchise', 'reverse_charge', 'intra_eu_supply', 'export'] as const;
export const PAYMENT_METHODS = ['transfer', 'card', 'check', 'cash', 'direct_debit', 'stripe'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const BILLING_FREQUENCIES = ['monthly', 'quarterly', 'yearly'] as const;
/** UN/ECE rec. 20 codes we offer: hour, unit, month, day. */
export const UNIT_CODES = ['HUR', 'C62', 'MON', 'DAY'] as const;

const decimals = (max: number) => (n: number) => Math.abs(Math.round(n * 10 ** max) - n * 10 ** max) < 1e-6;
const cents = z.number().int().min(0).max(1e11);
const localDate = z.iso.date();

/** A line as people type it: quantity 1.5, VAT rate 20 or 5.5 (percent); a 0 % line names its exemption. */
export const invoiceLineInputSchema = z.strictObject({
  description: z.string().trim().min(1).max(500),
  quantity: z.number().positive().max(1e6).refine(decimals(3), 'at most 3 decimals'),
  unitCode: z.enum(UNIT_CODES).default('C62'),
  unitPriceCents: cents,
  vatRate: z.number().min(0).max(100).refine(decimals(2), 'at most 2 decimals'),
  vatExemption: z.enum(VAT_EXEMPTIONS).nullable().default(null),
});
export type InvoiceLineInput = z.infer<typeof invoiceLineInputSchema>;

export const createInvoiceBodySchema = z
  .strictObject({
    clientId: z.uuid(),
    contractId: z.uuid().nullable().default(null),
    lines: z.array(invoiceLineInputSchema).min(1).max(500),
    periodStart: localDate.nullable().default(null),
    periodEnd: localDate.nullable().default(null),
    buyerReference: z.string().trim().max(100).default(''),
    notes: z.string().max(5000).default(''),
    vatRounding: z.enum(['per_rate', 'per_line']).default('per_rate'),
  })
  .meta({ id: 'CreateInvoiceBody' });
export type CreateInvoiceBody = z.infer<typeof createInvoiceBodySchema>;

export const updateInvoiceBodySchema = z
  .strictObject({
    lines: z
      .array(invoiceLineInputSchema.extend({ id: z.uuid().optional().meta({ description: 'an existing line, kept with its ticket time; omitted: a new line' }) }))
      .min(1)
      .max(500)
      .optional()
      .meta({ description: 'replaces the lines; the ticket time of a line left out goes back to the pre-billing queue' }),
    buyerReference: z.string().trim().max(100).optional(),
    notes: z.string().max(5000).optional(),
    vatRounding: z.enum(['per_rate', 'per_line']).optional(),
  })
  .meta({ id: 'UpdateInvoiceBody' });
export type UpdateInvoiceBody = z.infer<typeof updateInvoiceBodySchema>;

export const invoiceLineSchema = z.object({
  id: z.uuid(),
  position: z.number().int(),
  description: z.string(),
  quantity: z.number(),
  unitCode: z.string(),
  unitPriceCents: z.number().int(),
  vatRate: z.number(),
  vatExemption: z.enum(VAT_EXEMPTIONS).nullable(),
  totalExclTaxCents: z.number().int(),
  preBillingItemCount: z.number().int().meta({ description: 'pre-billing items (ticket time) this line bills' }),
});

export const invoiceEventSchema = z.object({
  id: z.uuid(),
  kind: z.string(),
  detail: z.record(z.string(), z.unknown()),
  actorName: z.string().nullable(),
  emailStatus: z.enum(['pending', 'sent', 'failed', 'bounced']).nullable(),
  at: z.iso.datetime(),
});
export type InvoiceEvent = z.infer<typeof invoiceEventSchema>;

export const invoiceSummarySchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(INVOICE_KINDS),
    number: z.string().nullable(),
    status: z.enum(INVOICE_STATUSES),
    clientId: z.uuid(),
    clientName: z.string(),
    contractId: z.uuid().nullable(),
    creditsInvoiceId: z.uuid().nullable(),
    source: z.enum(INVOICE_SOURCES),
    issueDate: localDate.nullable(),
    dueDate: localDate.nullable(),
    periodStart: localDate.nullable(),
    periodEnd: localDate.nullable(),
    currency: z.string(),
    totalExclTaxCents: z.number().int(),
    totalTaxCents: z.number().int(),
    totalCents: z.number().int(),
    paidCents: z.number().int(),
    creditedCents: z.number().int(),
    balanceCents: z.number().int().meta({ description: 'total − paid − credited (0 for a credit note)' }),
    dunningLevel: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'InvoiceSummary' });
export type InvoiceSummary = z.infer<typeof invoiceSummarySchema>;

export const invoiceSchema = invoiceSummarySchema
  .extend({
    vatRounding: z.enum(['per_rate', 'per_line']),
    buyerReference: z.string(),
    notes: z.string(),
    lines: z.array(invoiceLineSchema),
    vat: z.array(z.object({ vatRate: z.number(), baseCents: z.number().int(), taxCents: z.number().int() })),
    mentions: z.array(z.string()).meta({ description: 'legal mentions as printed (frozen once issued)' }),
    pdfDocumentId: z.uuid().nullable(),
    paymentUrl: z.string().nullable(),
    creditNotes: z.array(z.object({ id: z.uuid(), number: z.string().nullable(), totalCents: z.number().int(), issueDate: localDate.nullable() })),
    payments: z.array(z.object({ paymentId: z.uuid(), paidAt: localDate, method: z.enum(PAYMENT_METHODS), reference: z.string(), amountCents: z.number().int() })),
    events: z.array(invoiceEventSchema),
    validatedAt: z.iso.datetime().nullable(),
    sentAt: z.iso.datetime().nullable(),
    paidAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Invoice' });
export type Invoice = z.infer<typeof invoiceSchema>;

export const invoiceListQuerySchema = listQuerySchema.extend({
  clientId: z.uuid().optional(),
  status: z.enum(INVOICE_STATUSES).optional(),
  kind: z.enum(INVOICE_KINDS).optional(),
  source: z.enum(INVOICE_SOURCES).optional(),
  from: localDate.optional().meta({ description: 'issued on or after (drafts: created)' }),
  to: localDate.optional().meta({ description: 'issued on or before (drafts: created)' }),
});
export type InvoiceListQuery = z.infer<typeof invoiceListQuerySchema>;

export const mergeLinesBodySchema = z
  .strictObject({ lineIds: z.array(z.uuid()).min(2).max(100), description: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'MergeLinesBody' });
export type MergeLinesBody = z.infer<typeof mergeLinesBodySchema>;

export const creditNoteBodySchema = z
  .strictObject({
    lines: z
      .array(z.strictObject({ position: z.number().int().min(1), quantity: z.number().positive().max(1e6).refine(decimals(3), 'at most 3 decimals') }))
      .min(1)
      .max(500)
      .optional()
      .meta({ description: 'quantities to credit per invoice line; omitted: everything still creditable' }),
    reason: z.string().trim().min(1).max(500),
  })
  .meta({ id: 'CreditNoteBody' });
export type CreditNoteBody = z.infer<typeof creditNoteBodySchema>;

export const draftFromPreBillingBodySchema = z
  .strictObject({ clientIds: z.array(z.uuid()).min(1).max(500).optional().meta({ description: 'only these clients; default every client with pending time' }) })
  .meta({ id: 'DraftFromPreBillingBody' });

export const draftsCreatedSchema = z.object({ invoices: z.array(invoiceSummarySchema) }).meta({ id: 'DraftsCreated' });

export const recordPaymentBodySchema = z
  .strictObject({
    clientId: z.uuid(),
    paidAt: localDate,
    method: z.enum(PAYMENT_METHODS).exclude(['stripe']),
    reference: z.string().trim().max(200).default(''),
    amountCents: z.number().int().min(1).max(1e11),
    currency: z.string().length(3).toUpperCase().default('EUR'),
    invoiceIds: z.array(z.uuid()).min(1).max(200).optional().meta({ description: 'settle these, in this order; default: the client’s open invoices, oldest first' }),
  })
  .meta({ id: 'RecordPaymentBody' });
export type RecordPaymentBody = z.infer<typeof recordPaymentBodySchema>;

export const paymentSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    clientName: z.string(),
    paidAt: localDate,
    method: z.enum(PAYMENT_METHODS),
    reference: z.string(),
    amountCents: z.number().int(),
    currency: z.string(),
    unallocatedCents: z.number().int(),
    allocations: z.array(z.object({ invoiceId: z.uuid(), invoiceNumber: z.string(), amountCents: z.number().int() })),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Payment' });
export type Payment = z.infer<typeof paymentSchema>;
export const paymentListQuerySchema = listQuerySchema.extend({ clientId: z.uuid().optional(), method: z.enum(PAYMENT_METHODS).optional() });

export const dunningStepSchema = z.strictObject({
  offsetDays: z.number().int().min(-30).max(365).meta({ description: 'days after the due date' }),
  kind: z.enum(['reminder', 'second_reminder', 'formal_notice']),
});
export const billingSettingsSchema = z
  .strictObject({
    paymentTerms: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('net'), days: z.number().int().min(0).max(60) }),
      z.strictObject({ kind: z.literal('end_of_month'), days: z.number().int().min(0).max(45) }),
    ]),
    penaltyRate: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('ecb_plus_10') }), z.strictObject({ kind: z.literal('fixed'), annualRateBp: z.number().int().min(0).max(10_000) })]),
    dunningSteps: z
      .array(dunningStepSchema)
      .max(3)
      .refine((steps) => steps.every((s, i) => i === 0 || s.offsetDays > steps[i - 1]!.offsetDays), 'offsets must increase')
      .refine((steps) => new Set(steps.map((s) => s.kind)).size === steps.length, 'each kind once'),
    iban: z
      .string()
      .transform((s) => s.replace(/\s+/g, '').toUpperCase())
      .pipe(z.string().regex(/^([A-Z]{2}\d{2}[A-Z0-9]{10,30})?$/, 'an IBAN like FR76 3000 6000 0112 3456 7890 189')),
    bic: z.string().trim().toUpperCase().regex(/^([A-Z0-9]{8}|[A-Z0-9]{11})?$/, '8 or 11 letters and digits'),
    earlyPaymentDiscount: z.string().trim().max(300).nullable(),
    footer: z.string().max(2000),
    runFrequency: z.enum(BILLING_FREQUENCIES),
    autoValidate: z.boolean().meta({ description: 'billing runs validate (and so send) the invoices they make' }),
  })
  .meta({ id: 'BillingSettings' });
export type BillingSettings = z.infer<typeof billingSettingsSchema>;
export const updateBillingSettingsBodySchema = billingSettingsSchema.partial().meta({ id: 'UpdateBillingSettingsBody' });
export const billingSettingsViewSchema = billingSettingsSchema
  .extend({
    template: z.object({ name: z.string(), uploadedAt: z.iso.datetime() }).nullable().meta({ description: 'the tenant’s own ODT invoice template; null: the built-in one' }),
  })
  .meta({ id: 'BillingSettingsView' });
export type BillingSettingsView = z.infer<typeof billingSettingsViewSchema>;

export const billingRunSchema = z
  .object({
    id: z.uuid(),
    frequency: z.enum(BILLING_FREQUENCIES),
    periodStart: localDate,
    periodEnd: localDate,
    status: z.enum(['running', 'done', 'failed']),
    invoiceCount: z.number().int(),
    totalCents: z.number().int(),
    error: z.string().nullable(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'BillingRun' });
export type BillingRun = z.infer<typeof billingRunSchema>;
export const startBillingRunBodySchema = z
  .strictObject({ frequency: z.enum(BILLING_FREQUENCIES).default('monthly'), periodStart: localDate.meta({ description: 'first day of the period (e.g. 2026-11-01)' }) })
  .meta({ id: 'StartBillingRunBody' });

export const invoiceWorkflowStateSchema = z
  .object({
    workflowId: z.string(),
    running: z.boolean(),
    phase: z.string().meta({ description: 'rendering, sending, awaiting_payment, dunning, paid, unpaid, done' }),
    nextStep: z.object({ kind: z.string(), on: localDate }).nullable(),
    temporalUiUrl: z.string().nullable(),
  })
  .meta({ id: 'InvoiceWorkflowState' });
export type InvoiceWorkflowState = z.infer<typeof invoiceWorkflowStateSchema>;
